// How many consent windows one origin may open (ARCHITECTURE.md rule 8): a page calling create() or get() in a
// loop replaces its own window each time (one ceremony per tab), but it must not keep a window flashing up in
// front of the person either. Past the budget, its requests get NotAllowedError and no window until the budget
// refills. A person never comes near it: each window needs a decision.

export const WINDOWS_PER_ORIGIN = 10;
export const BUDGET_WINDOW_MS = 10_000;
/** Origins remembered at once; the oldest is forgotten first. */
const MAX_ORIGINS = 200;

export class WindowBudget {
  private readonly opened = new Map<string, number[]>();

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly limit = WINDOWS_PER_ORIGIN,
    private readonly windowMs = BUDGET_WINDOW_MS,
  ) {}

  /** Counts a window for `origin` and says whether it may open. */
  take(origin: string): boolean {
    const now = this.now();
    const recent = (this.opened.get(origin) ?? []).filter((t) => now - t < this.windowMs);
    const allowed = recent.length < this.limit;
    if (allowed) recent.push(now);
    this.opened.delete(origin); // re-inserted last: the map's order is least recently used first
    this.opened.set(origin, recent);
    if (this.opened.size > MAX_ORIGINS) this.opened.delete(this.opened.keys().next().value as string);
    return allowed;
  }
}

/** The background's one budget. */
export const windowBudget = new WindowBudget();
