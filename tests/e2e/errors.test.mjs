// Refusals: the person says no (Cancel, closing the window), the browser-side security checks (IP address,
// foreign RP ID), and a page forging the shim's messages to act for another site.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchKeyplace, nextConsentWindow } from '../support/browser.mjs';
import { startRpServer } from '../support/rp-server.mjs';
import { startCeremony, withoutWindow, cancel, createInVault } from '../support/consent.mjs';

const OTHER_SITE = 'bank.example';

describe('errors and refusals', { timeout: 180_000 }, () => {
  let session, rp, page;

  before(async () => {
    rp = await startRpServer();
    session = await launchKeyplace();
    page = await session.newPage(rp.url('/'));
  });
  after(async () => {
    await session?.close();
    await rp?.close();
  });

  it('Cancel rejects with NotAllowedError and closes the window', async () => {
    const { win, result } = await startCeremony(session.context, page, () => kp.register({ username: 'dave' }));
    await cancel(win);
    const v = await result;
    assert.equal(v.error?.name, 'NotAllowedError', JSON.stringify(v));
  });

  it('closing the window rejects with NotAllowedError', async () => {
    const { win, result } = await startCeremony(session.context, page, () => kp.register({ username: 'dave' }));
    await win.close();
    const v = await result;
    assert.equal(v.error?.name, 'NotAllowedError', JSON.stringify(v));
  });

  it('a page at http://127.0.0.1 gets SecurityError and no window', async () => {
    const ipPage = await session.newPage(rp.ipUrl('/'));
    try {
      // The RP ID defaults to the page's host, so this is "an IP address as RP ID", not a mismatch.
      const { result, consentPages } = await withoutWindow(session.context, ipPage, () => kp.register({ username: 'dave' }));
      assert.equal(result.error?.name, 'SecurityError', JSON.stringify(result));
      assert.deepEqual(consentPages, []);
    } finally {
      await ipPage.close();
    }
  });

  it('rp.id "example.com" from localhost gets SecurityError and no window', async () => {
    const { result, consentPages } = await withoutWindow(session.context, page, () =>
      kp.register({ username: 'dave', rpId: 'example.com' }),
    );
    assert.equal(result.error?.name, 'SecurityError', JSON.stringify(result));
    assert.deepEqual(consentPages, []);
    const login = await withoutWindow(session.context, page, () => kp.login({ rpId: 'example.com' }));
    assert.equal(login.result.error?.name, 'SecurityError', JSON.stringify(login.result));
    assert.deepEqual(login.consentPages, []);
  });

  describe('messages forged by the page', () => {
    let genuine; // the request the shim really posted, learnt by listening like any page script can

    before(async () => {
      // Every message this window posts to itself is visible to the page: record them.
      await page.evaluate(() => {
        window.__posted = [];
        window.addEventListener('message', (e) => {
          if (e.source === window) window.__posted.push(e.data);
        });
      });
      const { win, result } = await startCeremony(session.context, page, () => kp.register({ username: 'erin' }));
      genuine = await page.evaluate(() => window.__posted.find((m) => m && typeof m === 'object'));
      await cancel(win);
      await result;
      // Guard against a vacuous test: we must have seen the shim's request to forge it.
      assert.ok(genuine && typeof genuine === 'object', 'the shim posted no object message to learn from');
      assert.ok(findKey(genuine, 'rp'), `no "rp" in the shim's request: ${JSON.stringify(genuine)}`);
    });

    it(`a forged request for ${OTHER_SITE} (claimed origin + its RP ID) opens no window and is refused`, async () => {
      const forged = forge(genuine, { rpId: OTHER_SITE, claimOrigin: `https://${OTHER_SITE}` });
      const { result: answer, consentPages } = await withoutWindow(session.context, page, postAndAwaitAnswer, forged);
      assert.deepEqual(consentPages, []);
      assert.ok(answer, 'no answer to the forged request');
      assert.match(JSON.stringify(answer), /SecurityError/);
    });

    it('a forged request claiming another origin still binds clientDataJSON to the real origin', async (t) => {
      // RP ID stays the page's own, so the extension may rightly ask; what it must never do is say the
      // request came from somewhere else.
      const forged = forge(genuine, { claimOrigin: `https://${OTHER_SITE}` });
      const windowPromise = nextConsentWindow(session.context);
      const answerPromise = page.evaluate(postAndAwaitAnswer, forged);
      const win = await Promise.race([windowPromise, answerPromise.then(() => null)]);
      if (!win) {
        windowPromise.cancel();
        // Refusing outright is fine too, as long as nothing was made.
        const answer = await answerPromise;
        t.diagnostic(`forged request refused without a window: ${JSON.stringify(answer)}`);
        assert.doesNotMatch(JSON.stringify(answer), /clientDataJSON/);
        return;
      }
      assert.doesNotMatch(await win.locator('body').innerText(), new RegExp(OTHER_SITE.replace('.', '\\.')));
      await createInVault(win, { account: 'erin', pin: '739104', newPin: true });
      const answer = await answerPromise;
      const clientDataJSON = findKey(answer, 'clientDataJSON');
      assert.ok(typeof clientDataJSON === 'string', `no clientDataJSON in ${JSON.stringify(answer)}`);
      const clientData = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
      t.diagnostic(`forged request completed; clientData = ${JSON.stringify(clientData)}`);
      assert.equal(clientData.origin, rp.origin);
      assert.doesNotMatch(JSON.stringify(clientData), new RegExp(OTHER_SITE.replace('.', '\\.')));
    });
  });
});

// --- helpers (node side) ---

function findKey(value, key) {
  if (!value || typeof value !== 'object') return undefined;
  if (key in value) return value[key];
  for (const v of Object.values(value)) {
    const found = findKey(v, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A copy of the shim's request with a fresh id, optionally another RP ID, and origin claims everywhere. */
function forge(request, { rpId, claimOrigin }) {
  const copy = structuredClone(request);
  if (typeof copy.id === 'string') copy.id = `forged${Math.random().toString(36).slice(2, 12)}`;
  if (rpId) {
    const rp = findKey(copy, 'rp');
    rp.id = rpId;
  }
  if (claimOrigin) {
    for (const k of ['origin', 'topOrigin', 'url', 'senderOrigin', 'frameOrigin']) copy[k] = claimOrigin;
    copy.sameOriginWithAncestors = true;
    const pk = findKey(copy, 'publicKey');
    if (pk && typeof pk === 'object') pk.origin = claimOrigin;
  }
  return copy;
}

// Runs in the page: post the forged message, resolve with the first other message carrying its id.
function postAndAwaitAnswer(forged) {
  return new Promise((resolve) => {
    const onMessage = (e) => {
      const d = e.data;
      if (e.source !== window || !d || d === forged || d.id !== forged.id || JSON.stringify(d) === JSON.stringify(forged)) return;
      window.removeEventListener('message', onMessage);
      resolve(d);
    };
    window.addEventListener('message', onMessage);
    window.postMessage(forged, '*');
  });
}
