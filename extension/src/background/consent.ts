// The extension-owned consent window: every Keyplace ceremony passes through it (no page-drawn UI, no
// auto-approve). A session lives from the window's opening until the person's decision has been carried
// out, the window is closed, the page aborts, or the ceremony times out.
import type { ConsentDetails, Decision } from '../shared/messages';
import type { Stopwatch } from './metrics';
import { tabIdOfKey } from './caller';

/** What carrying out a decision gave: done, or a problem the person can fix in the window (wrong PIN). */
export type DecisionOutcome<T> = { done: T } | { retry: string };

export type ConsentResult<T> = { kind: 'done'; value: T } | { kind: 'browser'; remember?: boolean } | { kind: 'cancelled' };

interface Session {
  /** May still be settling (e.g. the host's store status) while the window opens. */
  details: Promise<ConsentDetails>;
  windowId: number | null;
  decide: (decision: Decision) => Promise<{ ok: true } | { error: string }>;
  cancel: () => void;
  stopwatch: Stopwatch;
}

const sessions = new Map<string, Session>();

chrome.windows.onRemoved.addListener((windowId) => {
  for (const session of sessions.values()) if (session.windowId === windowId) session.cancel();
});

export async function consentDetails(requestId: string): Promise<ConsentDetails | null> {
  const session = sessions.get(requestId);
  if (!session) return null;
  session.stopwatch.windowReady();
  return session.details;
}

export async function consentDecide(requestId: string, decision: Decision): Promise<{ ok: true } | { error: string }> {
  const session = sessions.get(requestId);
  if (!session) return { error: 'This request has ended. Close this window and try again on the site.' };
  return session.decide(decision);
}

/** Makes the calling tab active in its window and focuses that window (best effort: it may be gone). */
async function focusCaller(requestId: string): Promise<void> {
  const tabId = tabIdOfKey(requestId);
  if (tabId === null) return;
  try {
    const tab = await chrome.tabs.update(tabId, { active: true });
    if (tab?.windowId !== undefined) await chrome.windows.update(tab.windowId, { focused: true });
  } catch {
    // The tab or its window was closed meanwhile: the page is gone too.
  }
}

/** Ends a session early, e.g. because the page aborted its request. */
export function abortConsent(requestId: string): void {
  sessions.get(requestId)?.cancel();
}

/**
 * Opens the window and resolves with what the person chose. `carryOut` runs the key operation for a
 * Keyplace choice; while it asks for a retry the window stays open and shows the problem.
 */
export function runConsent<T>(
  requestId: string,
  details: Promise<ConsentDetails>,
  timeoutMs: number,
  stopwatch: Stopwatch,
  carryOut: (decision: Decision) => Promise<DecisionOutcome<T>>,
): Promise<ConsentResult<T>> {
  return new Promise<ConsentResult<T>>((resolve, reject) => {
    const openedAt = performance.now();
    let workMs = 0; // time spent carrying out decisions, which is not time spent waiting for the person
    let finished = false;
    const finish = (result: ConsentResult<T> | Error) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      stopwatch.waitingMs += performance.now() - openedAt - workMs;
      const session = sessions.get(requestId);
      sessions.delete(requestId);
      const closed = session?.windowId != null ? chrome.windows.remove(session.windowId).catch(() => undefined) : Promise.resolve();
      if (result instanceof Error) reject(result);
      // The page is about to call the browser's own WebAuthn, which Firefox allows only from a tab in the
      // focused window: once our window is gone, bring the page's tab and window back first.
      else if (result.kind === 'browser') void closed.then(() => focusCaller(requestId)).then(() => resolve(result));
      else resolve(result);
    };
    const timer = setTimeout(() => finish({ kind: 'cancelled' }), timeoutMs);

    const session: Session = {
      details,
      windowId: null,
      stopwatch,
      cancel: () => finish({ kind: 'cancelled' }),
      decide: async (decision) => {
        if (finished) return { error: 'This request has ended.' };
        if (decision.action === 'cancel') {
          finish({ kind: 'cancelled' });
          return { ok: true };
        }
        if (decision.action === 'browser') {
          finish({ kind: 'browser', remember: decision.remember === true });
          return { ok: true };
        }
        const started = performance.now();
        let outcome: DecisionOutcome<T> | Error;
        try {
          outcome = await carryOut(decision);
        } catch (err) {
          outcome = err instanceof Error ? err : new Error(String(err));
        }
        // Counted before finish() so the key operation is never also counted as waiting.
        workMs += performance.now() - started;
        if (outcome instanceof Error) {
          finish(outcome);
          return { ok: true };
        }
        if ('retry' in outcome) return { error: outcome.retry };
        finish({ kind: 'done', value: outcome.done });
        return { ok: true };
      },
    };
    sessions.set(requestId, session);

    stopwatch.windowRequested();
    const url = chrome.runtime.getURL(`consent.html?request=${encodeURIComponent(requestId)}`);
    chrome.windows
      .create({ url, type: 'popup', width: 460, height: 720, focused: true })
      .then((win) => {
        if (finished) {
          if (win?.id !== undefined) chrome.windows.remove(win.id).catch(() => undefined);
        } else {
          session.windowId = win?.id ?? null;
        }
      })
      .catch((err) => finish(new Error(`Keyplace could not open its window: ${String(err)}`)));
  });
}
