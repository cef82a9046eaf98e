// The extension-owned consent window: every Keyplace ceremony passes through it (ARCHITECTURE.md rule 6: no
// page-drawn UI, no auto-approve). A ceremony opens a session and awaits the person's decisions one at a
// time; while it asks for a retry the window stays open and shows the problem. The session ends when the
// ceremony closes it, the window is closed, the page aborts, or the ceremony's time is up.
import { t } from '../../shared/i18n';
import type { ConsentDetails, Decision } from '../../shared/messages';
import { tabIdOfKey } from '../caller';
import { markCold, type WindowTiming } from './timing';
import type { BudgetTicket } from './window-budget';

/** Why a session ended without a decision to carry out. */
export type SessionEnd = {
  action: 'ended';
  reason: 'timeout' | 'aborted' | 'window-closed' | 'closed' | 'replaced' | 'page-gone';
};

/** The person's next decision, or the end of the session. */
export type NextDecision = Decision | SessionEnd;

/** What the consent window is told about its decision: done (it closes) or a problem to show. */
type DecideAnswer = { ok: true } | { error: string };

interface Pending {
  decision: Decision;
  answer: (answer: DecideAnswer) => void;
}

const sessions = new Map<string, ConsentSession>();

chrome.windows.onRemoved.addListener((windowId) => {
  for (const session of sessions.values()) if (session.windowId === windowId) session.end('window-closed');
});

/** The requests of a tab (and frame, if given) whose document went away: their windows close, nothing is made. */
function endRequestsOf(tabId: number, frameId: number | null): void {
  for (const session of [...sessions.values()]) {
    const [tab, frame] = session.key.split(':').map(Number);
    if (tab === tabId && (frameId === null || frameId === 0 || frame === frameId)) session.end('page-gone');
  }
}
chrome.tabs?.onRemoved?.addListener((tabId) => endRequestsOf(tabId, null));
chrome.webNavigation?.onCommitted?.addListener(({ tabId, frameId }) => endRequestsOf(tabId, frameId));

/** Consent window: what to show (waits while the details settle, e.g. the host's store status). */
export async function consentDetails(requestId: string): Promise<ConsentDetails | null> {
  const session = sessions.get(requestId);
  if (!session) return null;
  session.timing.windowReady();
  return session.details;
}

/** Consent window: the person decided; answered once the ceremony has carried it out (or asks to retry). */
export function consentDecide(requestId: string, decision: Decision): Promise<DecideAnswer> {
  const session = sessions.get(requestId);
  if (!session) return Promise.resolve({ error: t('requestEndedTryAgain') });
  return session.decided(decision);
}

/** Requests the page aborted before their session existed (the abort can overtake the request). */
const earlyAborts = new Map<string, number>();
const EARLY_ABORT_MS = 60_000;

/** The page aborted its request. */
export function abortConsent(requestId: string): void {
  const session = sessions.get(requestId);
  if (session) {
    session.end('aborted');
    return;
  }
  const now = Date.now();
  for (const [key, until] of earlyAborts) if (until < now) earlyAborts.delete(key);
  if (earlyAborts.size < 1_000) earlyAborts.set(requestId, now + EARLY_ABORT_MS);
}

export class ConsentSession {
  windowId: number | null = null;
  private ending: SessionEnd | null = null;
  private readonly queue: Pending[] = [];
  /** The decision the ceremony is carrying out; its window waits for the answer. */
  private current: Pending | null = null;
  private waiter: ((next: NextDecision) => void) | null = null;
  /** Since when the person has had the window to decide in (null while Keyplace works on a decision). */
  private waitingSince: number | null = performance.now();
  private readonly timer: ReturnType<typeof setTimeout>;
  /** Whether the person decided anything in this window (for the origin's window budget). */
  private decidedOnce = false;

  private constructor(
    readonly key: string,
    readonly details: Promise<ConsentDetails>,
    timeoutMs: number,
    readonly timing: WindowTiming,
    private readonly ticket?: BudgetTicket,
  ) {
    this.timer = setTimeout(() => this.end('timeout'), timeoutMs);
  }

  /** Opens the window for the request `key` (Caller.key); it shows `details` once they settle. */
  static async open(
    key: string,
    details: Promise<ConsentDetails>,
    timeoutMs: number,
    timing: WindowTiming,
    ticket?: BudgetTicket,
  ): Promise<ConsentSession> {
    // One ceremony per tab (ARCHITECTURE.md rule 8): a new request from the tab ends the one before it, so a
    // page calling in a loop never piles up windows, and a reused request id cannot be decided by an old window.
    const tabId = tabIdOfKey(key);
    for (const other of [...sessions.values()]) {
      if (other.key === key || (tabId !== null && tabIdOfKey(other.key) === tabId)) other.end('replaced');
    }
    const session = new ConsentSession(key, details, timeoutMs, timing, ticket);
    sessions.set(key, session);
    if (earlyAborts.delete(key)) {
      session.end('aborted'); // no window for a request the page has already given up
      return session;
    }
    timing.windowRequested();
    const url = chrome.runtime.getURL(`consent.html?request=${encodeURIComponent(key)}`);
    let win: chrome.windows.Window | undefined;
    try {
      win = await chrome.windows.create({ url, type: 'popup', width: 460, height: 720, focused: true });
      markCold('windowCreated'); // for the benchmark: the browser made the window; its page is loading
    } catch (err) {
      await session.close();
      throw new Error(`Keyplace could not open its window: ${String(err)}`);
    }
    if (session.ending) {
      if (win?.id !== undefined) chrome.windows.remove(win.id).catch(() => undefined);
    } else {
      session.windowId = win?.id ?? null;
    }
    return session;
  }

  /** Resolves with the person's next decision, or with how the session ended. */
  decision(): Promise<NextDecision> {
    if (this.ending) return Promise.resolve(this.ending);
    const next = this.queue.shift();
    if (next) {
      this.current = next;
      return Promise.resolve(next.decision);
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** The last decision could not be carried out: the window shows `problem` and the next decision is awaited. */
  retry(problem: string): void {
    this.answerCurrent({ error: problem });
    if (!this.ending) this.waitingSince = performance.now();
  }

  /** Whether the session ended (timeout, abort, window closed) while a decision was being carried out. */
  get ended(): boolean {
    return this.ending !== null;
  }

  /** Closes the window; the decision being carried out is answered as done. */
  async close(): Promise<void> {
    const windowId = this.windowId;
    this.end('closed');
    this.windowId = null;
    if (windowId !== null) await chrome.windows.remove(windowId).catch(() => undefined);
  }

  /**
   * Closes the window and brings the page's tab and window back to the front: the page is about to call the
   * browser's own WebAuthn, which Firefox allows only from a tab in the focused window.
   */
  async returnToPage(): Promise<void> {
    await this.close();
    const tabId = tabIdOfKey(this.key);
    if (tabId === null) return;
    try {
      const tab = await chrome.tabs.update(tabId, { active: true });
      if (tab?.windowId !== undefined) await chrome.windows.update(tab.windowId, { focused: true });
    } catch {
      // The tab or its window was closed meanwhile: the page is gone too.
    }
  }

  /** Called for the window's decision message. */
  decided(decision: Decision): Promise<DecideAnswer> {
    if (this.ending) return Promise.resolve({ error: t('requestEnded') });
    this.decidedOnce = true;
    return new Promise((answer) => {
      const pending = { decision, answer };
      if (this.waitingSince !== null) {
        this.timing.addWaiting(performance.now() - this.waitingSince);
        this.waitingSince = null;
      }
      if (this.waiter) {
        const resolve = this.waiter;
        this.waiter = null;
        this.current = pending;
        resolve(decision);
      } else {
        this.queue.push(pending);
      }
    });
  }

  /** Ends the session (idempotent): a ceremony waiting for a decision gets the end instead. */
  end(reason: SessionEnd['reason']): void {
    if (this.ending) return;
    this.ending = { action: 'ended', reason };
    clearTimeout(this.timer);
    // A window nobody decided in, gone because the page moved on or the time ran out, counts against its origin.
    const wasted = !this.decidedOnce && reason !== 'closed' && reason !== 'window-closed';
    this.ticket?.release(wasted);
    if (sessions.get(this.key) === this) sessions.delete(this.key);
    if (this.waitingSince !== null) this.timing.addWaiting(performance.now() - this.waitingSince);
    this.waitingSince = null;
    this.answerCurrent({ ok: true });
    for (const pending of this.queue.splice(0)) pending.answer({ error: t('requestEnded') });
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.(this.ending);
    // Ended from outside (timeout, abort): the window goes too.
    if (reason !== 'closed' && this.windowId !== null) {
      chrome.windows.remove(this.windowId).catch(() => undefined);
      this.windowId = null;
    }
  }

  private answerCurrent(answer: DecideAnswer): void {
    this.current?.answer(answer);
    this.current = null;
  }
}
