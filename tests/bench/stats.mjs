// Statistics and formatting shared by the benchmark's parts: nearest-rank quantiles over finite samples.
export const sorted = (xs) => xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);

export function quantile(xs, q) {
  const s = sorted(xs);
  if (!s.length) return null;
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

export const p50 = (xs) => quantile(xs, 0.5);
export const p90 = (xs) => quantile(xs, 0.9);
export const ms = (x) => (x == null ? '—' : `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`);
export const kb = (bytes) => (bytes == null ? '—' : `${(bytes / 1024).toFixed(1)} KB`);
export const dist = (xs) => (sorted(xs).length ? `${ms(p50(xs))} / ${ms(p90(xs))} (n=${sorted(xs).length})` : '—');
