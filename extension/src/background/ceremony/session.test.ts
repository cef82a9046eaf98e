import assert from 'node:assert/strict';
import { before, beforeEach, describe, it } from 'node:test';
import type { ConsentDetails, Decision } from '../../shared/messages';
import { englishI18n } from '../../shared/i18n-testing';

// A fake of the few chrome.* calls the session makes, installed before session.ts registers its listener.
const calls: string[] = [];
const removedListeners: ((windowId: number) => void)[] = [];
let nextWindowId = 100;
(globalThis as unknown as { chrome: unknown }).chrome = {
  i18n: englishI18n,
  runtime: { getURL: (path: string) => `chrome-extension://keyplace/${path}` },
  windows: {
    onRemoved: { addListener: (listener: (windowId: number) => void) => removedListeners.push(listener) },
    create: async (options: { url: string }) => {
      calls.push(`create ${options.url}`);
      return { id: nextWindowId++ };
    },
    remove: async (windowId: number) => void calls.push(`remove ${windowId}`),
    update: async (windowId: number, options: { focused: boolean }) =>
      void calls.push(`focus ${windowId} ${options.focused}`),
  },
  tabs: {
    update: async (tabId: number, options: { active: boolean }) => {
      calls.push(`activate ${tabId} ${options.active}`);
      return { id: tabId, windowId: 7 };
    },
  },
};

type SessionModule = typeof import('./session');
let session: SessionModule;
before(async () => {
  session = await import('./session');
});
beforeEach(() => {
  calls.length = 0;
});

const details = { kind: 'create', rpId: 'shop.example' } as ConsentDetails;
const create: Decision = { action: 'create', store: 'vault', accountName: 'ada', pin: '1234' };
function timing() {
  const t = { requested: 0, ready: 0, waitingMs: 0 };
  return {
    t,
    windowRequested: () => void t.requested++,
    windowReady: () => void t.ready++,
    addWaiting: (ms: number) => {
      t.waitingMs += ms;
    },
  };
}

describe('ConsentSession', () => {
  it('opens no window for a request the page aborted before its session existed', async () => {
    session.abortConsent('13:0:early');
    const s = await session.ConsentSession.open('13:0:early', Promise.resolve(details), 60_000, timing());
    assert.deepEqual(calls, []);
    assert.deepEqual(await s.decision(), { action: 'ended', reason: 'aborted' });
    // Only once: the same key later (the page cannot reuse it, but the map must not grow) opens normally.
    const again = await session.ConsentSession.open('13:0:early', Promise.resolve(details), 60_000, timing());
    assert.equal(calls.length, 1);
    await again.close();
  });

  it('hands the decisions over one at a time; a retry shows the problem and waits for the next', async () => {
    const clock = timing();
    const s = await session.ConsentSession.open('12:0:a', Promise.resolve(details), 60_000, clock);
    assert.deepEqual(calls, [
      `create chrome-extension://keyplace/consent.html?request=${encodeURIComponent('12:0:a')}`,
    ]);
    assert.equal(clock.t.requested, 1);

    assert.equal(await session.consentDetails('12:0:a'), details);
    assert.equal(clock.t.ready, 1);

    const firstAnswer = session.consentDecide('12:0:a', create); // decided before the ceremony asks: kept
    assert.deepEqual(await s.decision(), create);
    s.retry('Wrong PIN. 2 tries left.');
    assert.deepEqual(await firstAnswer, { error: 'Wrong PIN. 2 tries left.' });

    const next = s.decision();
    const secondAnswer = session.consentDecide('12:0:a', { ...create, pin: '5678' });
    assert.deepEqual(await next, { ...create, pin: '5678' });
    assert.equal(s.ended, false);
    const windowId = s.windowId;
    await s.close();
    assert.deepEqual(await secondAnswer, { ok: true });
    assert.equal(calls.at(-1), `remove ${windowId}`);
    assert.deepEqual(await session.consentDecide('12:0:a', create), {
      error: 'This request has ended. Close this window and try again on the site.',
    });
    assert.equal(await session.consentDetails('12:0:a'), null);
  });

  it('ends with a timeout after the ceremony time and closes the window', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const s = await session.ConsentSession.open('12:0:b', Promise.resolve(details), 5_000, timing());
    const next = s.decision();
    t.mock.timers.tick(4_999);
    assert.equal(s.ended, false);
    t.mock.timers.tick(1);
    assert.deepEqual(await next, { action: 'ended', reason: 'timeout' });
    assert.ok(calls.some((c) => c.startsWith('remove ')));
  });

  it('ends when the page aborts, and when the person closes the window', async () => {
    const aborted = await session.ConsentSession.open('12:0:c', Promise.resolve(details), 60_000, timing());
    session.abortConsent('12:0:c');
    assert.deepEqual(await aborted.decision(), { action: 'ended', reason: 'aborted' });

    const closed = await session.ConsentSession.open('12:0:d', Promise.resolve(details), 60_000, timing());
    const next = closed.decision();
    assert.ok(closed.windowId !== null);
    for (const listener of removedListeners) listener(closed.windowId);
    assert.deepEqual(await next, { action: 'ended', reason: 'window-closed' });
  });

  it('answers a decision made during a key operation that outlived the session as done', async () => {
    const s = await session.ConsentSession.open('12:0:e', Promise.resolve(details), 60_000, timing());
    const answer = session.consentDecide('12:0:e', create);
    await s.decision();
    session.abortConsent('12:0:e'); // the page gave up while the host was working
    assert.equal(s.ended, true);
    assert.deepEqual(await answer, { ok: true });
    assert.deepEqual(await s.decision(), { action: 'ended', reason: 'aborted' });
  });

  it("goes back to the page: closes the window, then activates the caller's tab and focuses its window", async () => {
    const s = await session.ConsentSession.open('12:0:f', Promise.resolve(details), 60_000, timing());
    const windowId = s.windowId;
    calls.length = 0;
    await s.returnToPage();
    assert.deepEqual(calls, [`remove ${windowId}`, 'activate 12 true', 'focus 7 true']);
  });

  it('keeps one ceremony per tab: a new request from the tab ends the older one and closes its window', async () => {
    const older = await session.ConsentSession.open('31:0:h', Promise.resolve(details), 60_000, timing());
    const otherTab = await session.ConsentSession.open('32:0:h', Promise.resolve(details), 60_000, timing());
    const waiting = older.decision();
    const olderWindow = older.windowId;
    calls.length = 0;
    const newer = await session.ConsentSession.open('31:4:i', Promise.resolve(details), 60_000, timing());
    assert.deepEqual(await waiting, { action: 'ended', reason: 'replaced' });
    assert.ok(calls.includes(`remove ${olderWindow}`), calls.join(', '));
    assert.equal(otherTab.ended, false, "another tab's ceremony goes on");
    assert.equal(newer.ended, false);
    assert.deepEqual(await session.consentDecide('31:0:h', create), {
      error: 'This request has ended. Close this window and try again on the site.',
    });
    await newer.close();
    await otherTab.close();
  });

  it('counts the time the person took as waiting, not the time Keyplace worked', async (t) => {
    let now = 0;
    t.mock.method(performance, 'now', () => now);
    const clock = timing();
    const s = await session.ConsentSession.open('12:0:g', Promise.resolve(details), 60_000, clock);
    now = 300; // the person decides
    const answer = session.consentDecide('12:0:g', create);
    await s.decision();
    now = 1_300; // the host works for a second
    s.retry('Wrong PIN.');
    await answer;
    now = 1_500; // the person types the PIN again
    const second = session.consentDecide('12:0:g', create);
    await s.decision();
    now = 1_700;
    await s.close();
    await second;
    assert.equal(clock.t.waitingMs, 500);
  });
});
