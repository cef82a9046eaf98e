// How many consent windows one origin may have going to waste (ARCHITECTURE.md rule 8): a page calling create() or
// get() in a loop replaces its own window each time (one ceremony per tab), but it must not keep windows flashing
// up in front of the person either. A window counts while it is open, and for a while after it ended without the
// person deciding anything (replaced, aborted, timed out, its page gone). Past the budget the origin's requests get
// NotAllowedError and no window. Windows the person decides in never count: a person, or a test, can sign in as
// often as they like.

export const WINDOWS_PER_ORIGIN = 10;
export const BUDGET_WINDOW_MS = 10_000;
/** Origins remembered at once; the oldest is forgotten first. */
const MAX_ORIGINS = 200;

/** A window's place in the budget: released when its session ends. */
export interface BudgetTicket {
  release(wasted: boolean): void;
}

export class WindowBudget {
  private readonly open = new Map<string, number>();
  private readonly wasted = new Map<string, number[]>();

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly limit = WINDOWS_PER_ORIGIN,
    private readonly windowMs = BUDGET_WINDOW_MS,
  ) {}

  /** A ticket for one more window of `origin`, or null when its budget is spent. */
  take(origin: string): BudgetTicket | null {
    const now = this.now();
    const recent = (this.wasted.get(origin) ?? []).filter((t) => now - t < this.windowMs);
    this.remember(this.wasted, origin, recent);
    const open = this.open.get(origin) ?? 0;
    if (open + recent.length >= this.limit) return null;
    this.remember(this.open, origin, open + 1);
    let released = false;
    return {
      release: (wasted) => {
        if (released) return;
        released = true;
        this.open.set(origin, Math.max((this.open.get(origin) ?? 1) - 1, 0));
        if (wasted) this.remember(this.wasted, origin, [...(this.wasted.get(origin) ?? []), this.now()]);
      },
    };
  }

  private remember<T>(map: Map<string, T>, origin: string, value: T): void {
    map.delete(origin); // re-inserted last: the map's order is least recently used first
    map.set(origin, value);
    if (map.size > MAX_ORIGINS) map.delete(map.keys().next().value as string);
  }
}

/** The background's one budget. */
export const windowBudget = new WindowBudget();
