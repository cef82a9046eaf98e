// Requests Keyplace handed to the browser's own WebAuthn, waiting for the page to report what came back
// (record.ts), so that Keyplace can show where the passkey is. A report is accepted once, from the frame the
// request came from (the key is Caller.key), and only until the request's own timeout plus a grace period.

export type Handoff =
  | { kind: 'create'; rpId: string; userName: string }
  /** allowCredentialIds: the page's list (b64u); a reported credential must be one of them when there are any. */
  | { kind: 'get'; rpId: string; allowCredentialIds: string[] };

/** A report may come this long after the request's own timeout at the latest; then the entry is dropped. */
export const REPORT_GRACE_MS = 60_000;

export class Handoffs {
  private readonly pending = new Map<string, { handoff: Handoff; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Remembers a request handed to the browser, for the request's timeout plus the grace period. */
  add(key: string, handoff: Handoff, timeoutMs: number): void {
    const now = this.now();
    for (const [k, entry] of this.pending) if (entry.expiresAt < now) this.pending.delete(k);
    this.pending.set(key, { handoff, expiresAt: now + timeoutMs + REPORT_GRACE_MS });
  }

  /** The request handed to the browser under `key`, once; null when there is none or it expired. */
  take(key: string): Handoff | null {
    const entry = this.pending.get(key);
    if (!entry) return null;
    this.pending.delete(key);
    return entry.expiresAt < this.now() ? null : entry.handoff;
  }

  get size(): number {
    return this.pending.size;
  }
}

/** The worker's one list of requests handed to the browser. */
export const handoffs = new Handoffs();
