// Refusals: the person says no (Cancel, closing the window), the browser-side security checks (IP address,
// foreign RP ID: SecurityError and no window), and a page forging the shim's messages to act for another site.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBrowser } from '../drivers/index.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const OTHER_SITE = 'bank.example';

forEachBrowser('errors and refusals', { timeout: 240_000 }, (browser) => {
  let driver, rp, page;

  before(async () => {
    rp = await startRpServer();
    driver = await browser.launch();
    page = await driver.openPage(rp.url('/'));
  });
  after(async () => {
    await driver?.close();
    await rp?.close();
  });

  it('Cancel rejects with NotAllowedError and closes the window', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'dave' }));
    await win.cancel();
    const v = await result;
    assert.equal(v.error?.name, 'NotAllowedError', JSON.stringify(v));
    assert.deepEqual((await driver.withoutWindow(page, () => null)).consentWindows, []);
  });

  it('closing the window rejects with NotAllowedError', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'dave' }));
    await win.close();
    const v = await result;
    assert.equal(v.error?.name, 'NotAllowedError', JSON.stringify(v));
  });

  it('a page at http://127.0.0.1 gets SecurityError and no window', async () => {
    const ipPage = await driver.openPage(rp.ipUrl('/'));
    try {
      // The RP ID defaults to the page's host, so this is "an IP address as RP ID", not a mismatch.
      const { result, consentWindows } = await driver.withoutWindow(ipPage, () => kp.register({ username: 'dave' }));
      assert.equal(result.error?.name, 'SecurityError', JSON.stringify(result));
      assert.deepEqual(consentWindows, []);
      const login = await driver.withoutWindow(ipPage, () => kp.login({}));
      assert.equal(login.result.error?.name, 'SecurityError', JSON.stringify(login.result));
      assert.deepEqual(login.consentWindows, []);
    } finally {
      await ipPage.close();
    }
  });

  it('rp.id "example.com" from localhost gets SecurityError and no window', async () => {
    const { result, consentWindows } = await driver.withoutWindow(page, () => kp.register({ username: 'dave', rpId: 'example.com' }));
    assert.equal(result.error?.name, 'SecurityError', JSON.stringify(result));
    assert.deepEqual(consentWindows, []);
    const login = await driver.withoutWindow(page, () => kp.login({ rpId: 'example.com' }));
    assert.equal(login.result.error?.name, 'SecurityError', JSON.stringify(login.result));
    assert.deepEqual(login.consentWindows, []);
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
      const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'erin' }));
      genuine = await page.evaluate(() => window.__posted.find((m) => m && typeof m === 'object'));
      await win.cancel();
      await result;
      // Guard against a vacuous test: we must have seen the shim's request to forge it.
      assert.ok(genuine && typeof genuine === 'object', 'the shim posted no object message to learn from');
      assert.ok(findKey(genuine, 'rp'), `no "rp" in the shim's request: ${JSON.stringify(genuine)}`);
    });

    it(`a forged request for ${OTHER_SITE} (claimed origin + its RP ID) opens no window and is refused`, async () => {
      const forged = forge(genuine, { rpId: OTHER_SITE, claimOrigin: `https://${OTHER_SITE}` });
      const { result: answer, consentWindows } = await driver.withoutWindow(page, postAndAwaitAnswer, forged);
      assert.deepEqual(consentWindows, []);
      assert.ok(answer, 'no answer to the forged request');
      assert.match(JSON.stringify(answer), /SecurityError/);
    });

    it('a forged request claiming another origin still binds clientDataJSON to the real origin', async (t) => {
      // RP ID stays the page's own, so the extension may rightly ask; what it must never do is say the
      // request came from somewhere else.
      const forged = forge(genuine, { claimOrigin: `https://${OTHER_SITE}` });
      const { win, result } = await driver.startCeremony(page, postAndAwaitAnswer, forged, { allowNoWindow: true });
      if (!win) {
        // Refusing outright is fine too, as long as nothing was made.
        const answer = await result;
        t.diagnostic(`forged request refused without a window: ${JSON.stringify(answer)}`);
        assert.doesNotMatch(JSON.stringify(answer), /clientDataJSON/);
        return;
      }
      assert.doesNotMatch(await win.text(), new RegExp(OTHER_SITE.replace('.', '\\.')));
      await win.createInVault({ account: 'erin', pin: '739104', newPin: true });
      const answer = await result;
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
