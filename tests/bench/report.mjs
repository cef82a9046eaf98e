// BENCHMARKS.md from the figures run.mjs gathered: every performance budget with its figure, its verdict and the
// method in one sentence, then the ceremonies side by side with the browsers' own virtual authenticators.

import { LOAD_N, PING_N, POPUP_N, SHIM_K, SHIM_N } from './config.mjs';
import { renderFirefox } from './firefox.mjs';
import { renderObstacles } from './obstacles.mjs';
import { copiedDiskRow } from './vault.mjs';
import { dist, kb, ms, p50, quantile, sorted } from './stats.mjs';

function budgetRow(name, target, measured, va, status, method) {
  return `| ${name} | ${target} | ${measured} | ${va} | ${status} | ${method} |`;
}
const verdict = (value, limit) => (value == null ? 'not measured' : value <= limit ? 'met' : 'not met');
const mb = (kbValue) => (kbValue == null ? '—' : `${(kbValue / 1024).toFixed(1)} MB`);
// host_bench already gives {n, p50, p90, min, max}.
const hb = (d) => (d ? `${ms(d.p50)} / ${ms(d.p90)} (n=${d.n})` : '—');
const iqr = (xs) => (sorted(xs).length ? quantile(xs, 0.75) - quantile(xs, 0.25) : null);

export function render(out, notes, env) {
  const { vault, hardware, baseline: base, cold, host, sizes: sz, hostBench: hbx, popup, pageLoad } = out;
  const pt = out.passthrough ?? { createMs: [], getMs: [] };
  const ffPt = out.firefox?.passthrough ?? { createMs: [], getMs: [] };
  const ffBase = out.firefox?.baseline ?? { createMs: [], getMs: [] };
  const added = (xs, ys) => (sorted(xs).length && sorted(ys).length ? p50(xs) - p50(ys) : null);
  const ptAdded = [added(pt.createMs, base.createMs ?? []), added(pt.getMs, base.getMs ?? [])];
  const ffPtAdded = [added(ffPt.createMs, ffBase.createMs), added(ffPt.getMs, ffBase.getMs)];
  const worstAdded = (pair) => (pair.every((x) => x == null) ? null : Math.max(...pair.filter((x) => x != null)));
  const copiedDisk = copiedDiskRow(out.vaultUnlock, ms);
  const shimBytes = sz.shimFiles.reduce((a, f) => a + f.bytes, 0) || null;
  const wasmBytes = sz.wasmFiles.reduce((a, f) => a + f.bytes, 0) || null;
  const overheadOf = (store) => [...(store.create?.overheadMs ?? []), ...(store.get?.overheadMs ?? [])];
  const vaultOverhead = overheadOf(vault);
  const hardwareOverhead = overheadOf(hardware);
  // overheadMs = total − waiting − host can only be negative if the extension's own split is wrong.
  const metricsInconsistent = [...vaultOverhead, ...hardwareOverhead].some((x) => x < 0);
  if (metricsInconsistent) {
    notes.push(
      "The extension's metrics are inconsistent: some overheadMs values are negative, so waitingMs (or hostMs) " +
        'counts time twice; "active" times and the warm-overhead budget cannot be trusted until that is fixed.',
    );
  }
  const overheadStatus = (xs) =>
    metricsInconsistent ? 'not measured (extension metrics inconsistent)' : verdict(p50(xs), 3);
  const vaCeremony = `create ${ms(p50(base.createMs ?? []))}, get ${ms(p50(base.getMs ?? []))} (whole call, p50)`;
  const na = 'n/a';

  // Page-load cost: "within noise" when the medians differ by no more than the larger interquartile range.
  let loadCell = '—';
  let loadStatus = 'not measured';
  if (pageLoad?.with?.length) {
    const d = p50(pageLoad.with) - p50(pageLoad.without);
    const noise = Math.max(iqr(pageLoad.with), iqr(pageLoad.without));
    const spread = (xs) =>
      `p50 ${ms(p50(xs))}, IQR ${ms(iqr(xs))}, p10–p90 ${ms(quantile(xs, 0.1))}–${ms(quantile(xs, 0.9))}`;
    loadCell = `with the extension ${spread(pageLoad.with)}; without ${spread(pageLoad.without)}; difference of medians ${d >= 0 ? '+' : ''}${ms(d)} (n=${pageLoad.with.length} each)`;
    loadStatus =
      Math.abs(d) <= noise
        ? `met (within noise: |${ms(d)}| ≤ IQR ${ms(noise)})`
        : `not met (${ms(d)} > IQR ${ms(noise)})`;
  }

  const tpm = hbx?.tpm;
  const tpmOverhead = tpm?.overhead_vs_bare_sign_ms;
  const helloP50 = hbx?.hello_round_trip_ms?.p50 ?? null;
  const vaultSign = hbx?.vault_sign_round_trip_ms;
  const vaultOwn = hbx?.vault_sign_minus_hello_ms ?? null;
  const many = hbx?.many;
  const lookup = many?.list_by_rp_id_ms;
  const memOps = hbx?.memory_after_ops;
  const mem10k = many?.memory_after;

  const popupCell = (count) => {
    const p = popup?.[count];
    if (!p) return null;
    const parts = `(DOMContentLoaded ${ms(p50(p.dclMs))}; the popup's \`popup:list\` request alone ${ms(p50(p.fetchMs))})`;
    if (p.listReadyMs.length)
      return {
        text: `${dist(p.listReadyMs)} to the first page (${p.firstPageItems[0]} of ${p.expected} items) and the count "${p.countText}" in the DOM, next frame ${ms(p50(p.nextFrameMs))} ${parts}`,
        value: p50(p.listReadyMs),
      };
    if (p.problemMs.length)
      return {
        text: `list never shown: the page shows "${p.problem}" after ${ms(p50(p.problemMs))} ${parts}`,
        value: null,
        failed: true,
      };
    return { text: `list never shown (items seen: ${p.itemsShown.join(', ')})`, value: null, failed: true };
  };
  const popup10k = popupCell('10000');
  const popup2k = popupCell('2000');
  const memStatus = (() => {
    const steady = Math.max(memOps?.vm_rss_kb ?? 0, out.rssKb ?? 0) || null;
    let text = verdict(steady && steady / 1024, 20);
    if (memOps?.vm_hwm_kb && memOps.vm_hwm_kb / 1024 > 20) text += `; peak VmHWM ${mb(memOps.vm_hwm_kb)} is not`;
    if (mem10k?.vm_rss_kb && mem10k.vm_rss_kb / 1024 > 20) text += `; not met with 10,000 passkeys`;
    return text;
  })();

  const rows = [
    budgetRow(
      'Page shim size (minified)',
      '≤ 4 KB',
      sz.shimFiles.map((f) => `${f.file} ${kb(f.bytes)} (gzip ${kb(f.gzip)})`).join(', ') || '—',
      na,
      verdict(shimBytes, 4096),
      'Bytes of the built MAIN-world content script(s) named in the manifest.',
    ),
    budgetRow(
      'Page shim work per page',
      '≤ 0.2 ms',
      out.shimWorkMs
        ? `net of an empty inline script: cold ${ms(p50(out.shimWorkMs.cold) - p50(out.shimWorkMs.empty))}, warm ${ms(p50(out.shimWorkMs.warm) - p50(out.shimWorkMs.empty))} (raw: cold ${dist(out.shimWorkMs.cold)}; warm ${dist(out.shimWorkMs.warm)}; empty script ${dist(out.shimWorkMs.empty)})`
        : '—',
      na,
      out.shimWorkMs
        ? `${verdict(p50(out.shimWorkMs.cold) - p50(out.shimWorkMs.empty), 0.2)} cold; ${verdict(p50(out.shimWorkMs.warm) - p50(out.shimWorkMs.empty), 0.2)} warm`
        : 'not measured',
      `In ${SHIM_N} fresh tabs of a Chromium without the extension, the built shim.js is run as an inline classic <script> in ${SHIM_K} fresh same-origin iframes per tab, performance.now() around all of them ÷ ${SHIM_K}; cold = source made unique per frame (parse + compile + run), warm = the same source (V8's compilation cache hit, mostly the run); the same insertion of an empty unique script is timed alike and subtracted, since any script pays it.`,
    ),
    budgetRow(
      'Page-load cost of the extension',
      'within noise',
      loadCell,
      na,
      loadStatus,
      `A plain HTML page (no scripts) from a local server loaded ${LOAD_N} times in a fresh tab of the Keyplace Chromium (shim + bridge injected) and of a Chromium without the extension, alternating, after 3 warm-ups; loadEventEnd of the navigation entry; "within noise" = difference of medians ≤ the larger IQR.`,
    ),
    budgetRow(
      'WASM core size',
      '≤ 400 KB',
      sz.wasmFiles.map((f) => `${f.file} ${kb(f.bytes)}`).join(', ') || '—',
      na,
      verdict(wasmBytes, 400 * 1024),
      'Bytes of the .wasm files in the built extension (after wasm-bindgen).',
    ),
    budgetRow(
      'WASM instantiation (cold worker)',
      '≤ 15 ms',
      dist(cold.wasmMs ?? []),
      na,
      verdict(p50(cold.wasmMs ?? []), 15),
      "keyplaceMetrics.wasmInstantiateMs (the worker's performance.now() around init(), fetch included), read after each cold start.",
    ),
    budgetRow(
      'Warm ceremony overhead, Vault (p50)',
      '≤ 3 ms',
      dist(vaultOverhead),
      vaCeremony,
      overheadStatus(vaultOverhead),
      "The worker's own metrics: ceremony total − time the window waited for the person − host time (create and get pooled); the virtual authenticator is timed in the page around create()/get().",
    ),
    budgetRow(
      'Warm ceremony overhead, Hardware (p50)',
      '≤ 3 ms',
      dist(hardwareOverhead),
      vaCeremony,
      hardwareOverhead.length ? overheadStatus(hardwareOverhead) : 'not measured',
      'As for Vault, with the passkey in the TPM (swtpm) and its PIN typed in the window.',
    ),
    budgetRow(
      'Cold start → window requested (p50)',
      '≤ 60 ms',
      dist(cold.toRequested),
      na,
      verdict(p50(cold.toRequested), 60),
      "Worker stopped with CDP ServiceWorker.stopAllWorkers, then a vault create() from the page; page call time → the worker's firstWindowRequestAt.",
    ),
    budgetRow(
      'Cold start → window interactive (p50)',
      '≤ 150 ms',
      dist(cold.toReady),
      na,
      verdict(p50(cold.toReady), 150),
      "Same cold ceremonies; page call time → the ceremony's windowReadyAt (the window reported itself ready).",
    ),
    budgetRow(
      'Host round trip, open port (p50)',
      '≤ 1 ms',
      `${dist(host.pingMs ?? [])} from the worker; \`hello\` over pipes without a browser ${hb(hbx?.hello_round_trip_ms)}`,
      na,
      verdict(p50(host.pingMs ?? []), 1),
      `keyplaceBench.hostPing: ${PING_N} sequential pings over the worker's open connectNative port (worker timer resolution 0.1 ms); host_bench: ${hbx?.hello_round_trip_ms?.n ?? 200} \`hello\` requests over the host's stdin/stdout framing.`,
    ),
    budgetRow(
      'Vault sign',
      '≤ 0.5 ms',
      vaultSign ? `round trip ${hb(vaultSign)}; minus \`hello\` round trip (${ms(helloP50)}) = ${ms(vaultOwn)}` : '—',
      na,
      vaultOwn == null ? 'not measured' : `${verdict(vaultOwn, 0.5)} (round trip: ${verdict(vaultSign.p50, 0.5)})`,
      "host_bench: 200 `sign` requests for a vault credential with the vault unlocked, over stdin/stdout framing; judged on the median minus the median `hello` round trip (the request's own cost).",
    ),
    budgetRow(
      'TPM sign overhead over bare tss-esapi',
      '≤ 1 ms',
      tpm
        ? `host \`sign\` round trip ${hb(tpm.host_sign_round_trip_ms)} − bare TPM2_Sign ${hb(tpm.bare_sign_ms)} = ${ms(tpmOverhead)}; bare load + sign + flush (what the host does per sign) ${hb(tpm.bare_load_sign_flush_ms)}, host − that = ${ms(tpm.overhead_vs_bare_load_sign_flush_ms)}`
        : '—',
      na,
      verdict(tpmOverhead, 1),
      "host_bench on one swtpm: bare tss-esapi TPM2_Sign with the key loaded once and the SRK-salted HMAC session reused (median of 50), then the host's `sign` request with the PIN (median of 50), same key template and session kind.",
    ),
    budgetRow(
      'Host resident memory',
      '≤ 20 MB',
      `${mb(memOps?.vm_rss_kb)} VmRSS after hello/vault/TPM operations (peak VmHWM ${mb(memOps?.vm_hwm_kb)}); ${mb(out.rssKb)} in the browser run after the ceremonies; ${mb(mem10k?.vm_rss_kb)} after listing 10,000 passkeys`,
      na,
      memStatus,
      "VmRSS / VmHWM from /proc/<pid>/status of the host process (host_bench's child, and the browser's host found by its data dir).",
    ),
    budgetRow(
      '10,000 passkeys: popup list ready',
      '≤ 100 ms',
      popup10k ? popup10k.text : '—',
      na,
      popup10k ? (popup10k.failed ? 'not met (never ready)' : verdict(popup10k.value, 100)) : 'not measured',
      `popup.html opened as a tab ${POPUP_N} times (after a warm-up) in a Chromium whose data dir holds ${many?.count ?? 10000} vault passkeys; a MutationObserver installed at document start records performance.now() (from navigation start) when the list is ready: this site and the first page of every site (200 rows) and the total count in the DOM, #sites no longer aria-busy; further pages load on demand.`,
    ),
    budgetRow(
      'A request handed to the browser: added to its own time, p50',
      '≤ 2 ms',
      `Chromium: create ${dist(pt.createMs)} → +${ms(ptAdded[0])}, get ${dist(pt.getMs)} → +${ms(ptAdded[1])}; Firefox: create +${ms(ffPtAdded[0])}, get +${ms(ffPtAdded[1])}`,
      `Chromium: create ${dist(base.createMs ?? [])}, get ${dist(base.getMs ?? [])}; Firefox: create ${dist(ffBase.createMs)}, get ${dist(ffBase.getMs)}`,
      `Chromium ${verdict(worstAdded(ptAdded), 2)}; Firefox ${verdict(worstAdded(ffPtAdded), 2)}`,
      "A Browser rule for localhost (no window): performance.now() in the page around create()/get() answered by the browser's virtual authenticator in the Keyplace browser, beside the same calls in a browser without the extension (p50 difference; the two browsers are separate processes, so a difference within their noise is not Keyplace's).",
    ),
    budgetRow(
      'Autofill: suggestion visible after the field gets focus (p50)',
      '≤ 50 ms',
      `Chromium ${out.autofill ? dist(out.autofill.visibleMs) : 'not measured'}; Firefox ${out.firefox?.autofill ? dist(out.firefox.autofill.visibleMs) : 'not measured'}`,
      'the browser draws its own autofill outside the page (not measurable here)',
      `Chromium ${verdict(out.autofill ? p50(out.autofill.visibleMs) : null, 50)}; Firefox ${verdict(out.firefox?.autofill ? p50(out.firefox.autofill.visibleMs) : null, 50)}`,
      "tests/bench/autofill.mjs: a conditional get pending and a Keyplace vault passkey for the site; the page moves the focus away (the suggestion closes) and back to the webauthn field, recording when (epoch ms); the suggestion frame reports its first paint after rendering its list (requestAnimationFrame, epoch ms) to the background's metrics, read when the page is done (Firefox) or polled (Chromium). Where Chromium's time goes (Navigation Timing in the frame, measured by hand): about 8 ms to the frame's navigation start, its document fetched by about 20 ms, its parser done only at about 65 ms (the extension frame's own start-up: no stylesheet or script of Keyplace's is loaded by then), then the list round trip (8-10 ms), rendering and a frame. Showing the frame before the field has the focus would be faster and would tell the page that Keyplace holds a passkey for it, so it is not done.",
    ),
    budgetRow(
      '10,000 passkeys: lookup by RP ID',
      '≤ 1 ms',
      lookup
        ? `${hb(lookup)} round trip (${many.list_by_rp_id_count} results); own cost ≈ ${ms(lookup.p50 - helloP50)}`
        : '—',
      na,
      lookup ? `${verdict(lookup.p50, 1)} (own cost: ${verdict(lookup.p50 - helloP50, 1)})` : 'not measured',
      'host_bench: `list` with `rp_id` (one of 1,000 sites, 10 passkeys each) on a database of 10,000 vault passkeys, over stdin/stdout framing, median of 200.',
    ),
    budgetRow(
      'A copied disk: offline PIN guessing',
      'none where a TPM seals; elsewhere ≥ 250 ms of one core per guess',
      copiedDisk.figure,
      na,
      copiedDisk.status,
      'native-host/examples/vault_unlock.rs (tests/bench/vault.mjs): one Argon2id derivation with the vault\'s parameters timed on one core (median); the unlock of a vault sealed by a swtpm, by a GNOME Keyring on a private D-Bus, and by the PIN alone, each with the PIN sent (medians).',
    ),
  ];

  const cols = [
    ['Keyplace vault (create)', vault.create],
    ['Keyplace vault (get)', vault.get],
    ['Keyplace hardware (create)', hardware.create],
    ['Keyplace hardware (get)', hardware.get],
  ];
  const side = [
    `| | ${cols.map(([name]) => name).join(' | ')} | virtual authenticator (create) | virtual authenticator (get) |`,
    `|---|${cols.map(() => '---|').join('')}---|---|`,
    `| active time (total − waiting for the person), p50 / p90 | ${cols.map(([, c]) => dist(c?.activeMs ?? [])).join(' | ')} | ${dist(base.createMs ?? [])} | ${dist(base.getMs ?? [])} |`,
    `| of which host (key operation + round trips) | ${cols.map(([, c]) => dist(c?.hostMs ?? [])).join(' | ')} | | |`,
    `| of which WASM core | ${cols.map(([, c]) => dist(c?.coreMs ?? [])).join(' | ')} | | |`,
    `| overhead (active − host) | ${cols.map(([, c]) => dist(c?.overheadMs ?? [])).join(' | ')} | | |`,
    `| window requested → ready (warm) | ${cols.map(([, c]) => dist(c?.windowReadyMs ?? [])).join(' | ')} | | |`,
  ];

  const extra = [];
  if (many) {
    const la = many.list_all_answer ?? {};
    extra.push(
      `- 10,000 passkeys were made ${many.how}: ${ms(many.create_total_ms)} in all, ${ms(many.create_per_credential_ms)} each.`,
      `- \`list\` with no filter (one default page of 500 full rows) on 10,000 passkeys: ${hb(many.list_all_ms)}; ${la.ok ? `${la.count} credentials, ${kb(la.bytes)}` : `answered \`${la.error?.code}\`: "${la.error?.message}"`}.`,
      `- \`list\` by an RP ID with no passkeys on 10,000: ${hb(many.list_by_unknown_rp_id_ms)}.`,
      `- The popup's first page (\`list\` {slim, limit: 200}) on 10,000: ${hb(many.list_popup_page_ms)}, ${kb(many.list_popup_page_bytes)}; its last page (through a cursor): ${hb(many.list_popup_last_page_ms)}.`,
    );
  }
  if (popup2k)
    extra.push(`- Popup with 2,000 passkeys (a list that fits the 1 MiB native-messaging cap): ${popup2k.text}.`);
  if (tpm)
    extra.push(`- Hardware \`create\` round trip in host_bench: ${ms(tpm.host_create_round_trip_ms)} (one sample).`);
  const prf = hbx?.prf;
  if (prf?.vault)
    extra.push(
      `- PRF, vault: \`sign\` with one prf salt ${hb(prf.vault.sign_with_prf_round_trip_ms)}, ${ms(prf.vault.added_to_sign_ms)} over the plain vault \`sign\` (HMAC-SHA-256 in the host).`,
    );
  if (prf?.hardware)
    extra.push(
      `- PRF, hardware: \`sign\` with one prf salt ${hb(prf.hardware.sign_with_prf_round_trip_ms)}, ${ms(prf.hardware.added_to_sign_ms)} over the plain hardware \`sign\` (the TPM's HMAC key loaded, TPM2_HMAC, flushed; bare tss-esapi load + HMAC + flush ${hb(prf.hardware.bare_load_hmac_flush_ms)}).`,
    );
  extra.push(
    `- Browser passkey signed in through Keyplace's pass-through (no window), page-timed: ${dist(base.passthroughGetMs ?? [])}.`,
    `- Cold start, worker start → window requested: ${dist(cold.workerToRequested ?? [])}; page call → window requested: ${dist(cold.toRequested ?? [])}.`,
  );

  return [
    `# Keyplace benchmarks`,
    ``,
    `Generated by \`xtask/xtask.sh bench\` (tests/bench/run.mjs, native-host/examples/host_bench.rs). Medians and p90 (nearest rank). No figure here is asserted anywhere.`,
    ``,
    `Machine: nproc ${env.nproc} (${env.cpu}), load average at start ${env.load}; ${env.chromium}; Node ${env.node}; ${env.date}. N = ${env.n} create+get per path, ${env.coldN} cold starts.`,
    ``,
    `Keyplace ceremony timings come from the service worker's own metrics (\`globalThis.keyplaceMetrics\`), so the test's clicking and typing are excluded. The virtual authenticator is Chromium's own (CDP WebAuthn, ctap2.1, internal, UV), measured in the same run, timed in the page with performance.now() around create()/get(). Host figures come from host_bench, which drives the real host binary over its stdin/stdout framing without a browser. The Firefox ESR section (tests/bench/firefox.mjs) gives the same kinds of figures beside Firefox's own virtual authenticator.`,
    ``,
    `## Budgets`,
    ``,
    `| Budget | Target | Keyplace: p50 / p90 (n) | Virtual authenticator, same run | Status | Method |`,
    `|---|---|---|---|---|---|`,
    ...rows,
    ``,
    ...renderObstacles(out),
    `## Ceremonies side by side`,
    ``,
    ...side,
    ``,
    `## Other figures`,
    ``,
    ...extra,
    ``,
    ...(out.devicesCopy
      ? [
          `## Your devices and copies`,
          ``,
          'native-host/examples/devices_copy.rs: three devices in temporary data folders, times without the person (no typing, no carrying files).',
          ``,
          '```',
          ...out.devicesCopy,
          '```',
          ``,
        ]
      : []),
    ...renderFirefox(out.firefox),
    ...(notes.length ? ['## Notes', '', ...notes.map((n) => `- ${n}`), ''] : []),
  ].join('\n');
}
