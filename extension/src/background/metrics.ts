// Timings the benchmark reads from the worker (tests/bench). Never used for decisions.

export interface CeremonyTiming {
  kind: 'create' | 'get';
  store: string;
  totalMs: number;
  waitingMs: number;
  hostMs: number;
  coreMs: number;
  overheadMs: number;
  windowRequestedAt: number | null;
  windowReadyAt: number | null;
}

const epochNow = () => performance.timeOrigin + performance.now();

export const metrics = {
  startedAt: performance.timeOrigin,
  firstWindowRequestAt: null as number | null,
  wasmInstantiateMs: null as number | null,
  ceremonies: [] as CeremonyTiming[],
};

/** Accumulates the parts of one ceremony; `finish` records it. */
export class Stopwatch {
  private readonly start = performance.now();
  hostMs = 0;
  coreMs = 0;
  waitingMs = 0;
  windowRequestedAt: number | null = null;
  windowReadyAt: number | null = null;

  async host<T>(work: Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await work;
    } finally {
      this.hostMs += performance.now() - t;
    }
  }

  core<T>(work: () => T): T {
    const t = performance.now();
    try {
      return work();
    } finally {
      this.coreMs += performance.now() - t;
    }
  }

  windowRequested(): void {
    this.windowRequestedAt = epochNow();
    metrics.firstWindowRequestAt ??= this.windowRequestedAt;
  }

  windowReady(): void {
    this.windowReadyAt ??= epochNow();
  }

  finish(kind: 'create' | 'get', store: string): void {
    const totalMs = performance.now() - this.start;
    metrics.ceremonies.push({
      kind,
      store,
      totalMs,
      waitingMs: this.waitingMs,
      hostMs: this.hostMs,
      coreMs: this.coreMs,
      overheadMs: totalMs - this.waitingMs - this.hostMs,
      windowRequestedAt: this.windowRequestedAt,
      windowReadyAt: this.windowReadyAt,
    });
    if (metrics.ceremonies.length > 1000) metrics.ceremonies.shift();
  }
}
