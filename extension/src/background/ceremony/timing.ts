// Timings the benchmark reads from the worker (tests/bench reads globalThis.keyplaceMetrics). Never used
// for decisions. A ceremony gets timed views of the host and the core, so its own code only makes calls;
// the consent session reports when the window was requested, when it was ready and how long the person
// took.

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

/** Steps of the path from the worker's start to its first window (see `metrics.coldPath`). */
export type ColdMark =
  | 'scriptStart'
  | 'wasmFetched'
  | 'wasmReady'
  | 'coreWarm'
  | 'firstCeremonyMessage'
  | 'callerKnown'
  | 'prepared'
  | 'ruleRead'
  | 'windowRequested'
  | 'windowCreated'
  | 'windowReady'
  | 'hostAnswered';

export const metrics = {
  startedAt: performance.timeOrigin,
  firstWindowRequestAt: null as number | null,
  wasmInstantiateMs: null as number | null,
  ceremonies: [] as CeremonyTiming[],
  /** The first time each step happened since this worker started (ms since performance.timeOrigin): the cold
   * path split into the browser's part and Keyplace's. */
  coldPath: {} as Partial<Record<ColdMark, number>>,
  /** Requests the background handed to the browser (no window): ms from the message's arrival to the answer. */
  /** The popup's `popup:list` requests: when each arrived and was answered (epoch ms). */
  popupList: [] as { arrivedAt: number; answeredAt: number }[],
  handedToBrowser: [] as { kind: 'create' | 'get'; ms: number }[],
  /** Conditional gets (autofill): offered in the suggestion, or left to the browser's autofill alone; when the
   * suggestion frame first painted (epoch ms), and when it asked for its accounts (epoch ms, for the benchmark's
   * split of frame loading from answering and painting). */
  autofill: { offered: 0, browserAlone: 0, shownAt: [] as number[], listAskedAt: [] as number[] },
};

/** Records the first time `step` happened in this worker's life (later ones are not the cold path). */
export function markCold(step: ColdMark, at = performance.now()): void {
  metrics.coldPath[step] ??= at;
}

/** What the consent session tells the timer. */
export interface WindowTiming {
  windowRequested(): void;
  windowReady(): void;
  /** Time the person took to decide (not spent by Keyplace). */
  addWaiting(ms: number): void;
}

/**
 * Wall-clock time while at least one call is in flight: calls that overlap (e.g. `list` and `hello` in
 * parallel) count once.
 */
class BusyTime {
  ms = 0;
  private inFlight = 0;
  private since = 0;

  begin(): void {
    if (this.inFlight++ === 0) this.since = performance.now();
  }
  end(): void {
    if (--this.inFlight === 0) this.ms += performance.now() - this.since;
  }
}

/** The same object, with every method call (sync or async) counted in `busy`. */
function timed<T extends object>(target: T, busy: BusyTime): T {
  return new Proxy(target, {
    get(obj, prop) {
      const value = Reflect.get(obj, prop, obj);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        busy.begin();
        let result: unknown;
        try {
          result = value.apply(obj, args);
        } catch (err) {
          busy.end();
          throw err;
        }
        if (result instanceof Promise) return result.finally(() => busy.end());
        busy.end();
        return result;
      };
    },
  });
}

/** One ceremony's timer: `host` and `core` are the timed views the ceremony calls; `record` keeps the result. */
export class CeremonyTimer<H extends object, C extends object> implements WindowTiming {
  private readonly start = performance.now();
  private readonly hostTime = new BusyTime();
  private readonly coreTime = new BusyTime();
  private waitingMs = 0;
  private windowRequestedAt: number | null = null;
  private windowReadyAt: number | null = null;
  readonly host: H;
  readonly core: C;

  constructor(host: H, core: C) {
    this.host = timed(host, this.hostTime);
    this.core = timed(core, this.coreTime);
  }

  windowRequested(): void {
    this.windowRequestedAt = epochNow();
    metrics.firstWindowRequestAt ??= this.windowRequestedAt;
    markCold('windowRequested');
  }

  windowReady(): void {
    this.windowReadyAt ??= epochNow();
    markCold('windowReady');
  }

  addWaiting(ms: number): void {
    this.waitingMs += ms;
  }

  /** A ceremony that gave the page a credential. */
  record(kind: 'create' | 'get', store: string): void {
    const totalMs = performance.now() - this.start;
    metrics.ceremonies.push({
      kind,
      store,
      totalMs,
      waitingMs: this.waitingMs,
      hostMs: this.hostTime.ms,
      coreMs: this.coreTime.ms,
      overheadMs: totalMs - this.waitingMs - this.hostTime.ms,
      windowRequestedAt: this.windowRequestedAt,
      windowReadyAt: this.windowReadyAt,
    });
    if (metrics.ceremonies.length > 1000) metrics.ceremonies.shift();
  }
}
