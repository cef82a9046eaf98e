// A person's attention (ARCHITECTURE.md rule 8): a page in a background tab starts no ceremony, a page calling in a
// loop cannot keep windows coming, and a passkey whose request the page aborted while the key was being made does
// not stay behind in the store. The background tab is compared with the same browser without Keyplace.

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachBrowser, until } from '../drivers/index.mjs';
import { hostClient } from '../support/host-client.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const PIN = '518204';
/** extension/src/background/ceremony/window-budget.ts: windows per origin in 10 s. */
const WINDOWS_PER_ORIGIN = 10;

/** The page waits for a word from another tab of its site, then registers and sends back what it got. */
function registerWhenTold(options) {
  const channel = new BroadcastChannel('keyplace-attention');
  channel.onmessage = async (e) => {
    if (e.data !== 'go') return;
    channel.onmessage = null; // once: a later call installs its own
    channel.postMessage({ outcome: await kp.register({ username: 'background', timeout: 60_000, ...options }) });
    channel.close();
  };
}

/** Tells the background tab to register, and waits for its outcome (run in the tab in front). */
function tellAndWait() {
  const channel = new BroadcastChannel('keyplace-attention');
  return new Promise((resolve) => {
    channel.onmessage = (e) => e.data?.outcome && resolve(e.data.outcome);
    channel.postMessage('go');
  });
}

/** In a background tab (another tab of the site in front): the page's call and what it got. */
async function callFromBackgroundTab(driver, page, rp, options = {}) {
  await page.evaluate(registerWhenTold, options);
  const front = await driver.openPage(rp.url('/?title=front'));
  await front.bringToFront();
  const outcome = await front.evaluate(tellAndWait);
  await front.close();
  await page.bringToFront();
  return outcome;
}

forEachBrowser('a person’s attention', { timeout: 300_000 }, (browser) => {
  let rp, alone, driver, alonePage, page;

  before(async () => {
    rp = await startRpServer();
    alone = await browser.launch({ extension: false, host: false });
    alonePage = await alone.openPage(rp.url('/'));
    await alone.addVirtualAuthenticator(alonePage);
    driver = await browser.launch();
    page = await driver.openPage(rp.url('/'));
  });
  after(async () => {
    await alone?.close();
    await driver?.close();
    await rp?.close();
  });

  it('a page in a background tab gets the browser’s NotAllowedError and no window', async (t) => {
    const expected = await callFromBackgroundTab(alone, alonePage, rp);
    const got = await callFromBackgroundTab(driver, page, rp);
    t.diagnostic(`browser alone: ${JSON.stringify(expected.error)}; with Keyplace: ${JSON.stringify(got.error)}`);
    assert.equal(got.error?.name, 'NotAllowedError');
    assert.equal(got.error?.name, expected.error?.name);
    // Keyplace's refusal happens before any window: a window, had one opened, would still be waiting.
    assert.equal(got.error?.message, 'The document is not focused.');
  });

  // Chromium checks the RP ID before focus (SecurityError), Firefox focus first (NotAllowedError): Keyplace
  // hands a request it cannot take to the browser before its own focus check, so each browser's order holds.
  it('a background tab asking for another site’s RP ID gets the browser’s own error, in the browser’s order', async (t) => {
    const options = { rpId: 'keyplace.invalid' };
    const expected = await callFromBackgroundTab(alone, alonePage, rp, options);
    const got = await callFromBackgroundTab(driver, page, rp, options);
    t.diagnostic(`browser alone: ${JSON.stringify(expected.error)}; with Keyplace: ${JSON.stringify(got.error)}`);
    assert.equal(expected.error?.name, browser.name === 'chromium' ? 'SecurityError' : 'NotAllowedError');
    assert.deepEqual(got.error, expected.error);
  });

  it('a request aborted while its key is being made leaves no passkey behind', async () => {
    const { win, result } = await driver.startCeremony(page, () => {
      window.__abort = new AbortController();
      return kp.register({ username: 'zoe', residentKey: 'required', signal: window.__abort.signal });
    });
    await win.check('radio', /^Vault/);
    await win.fill('Account name', 'zoe');
    await win.fill('PIN', PIN);
    await win.fill('Confirm PIN', PIN);
    // A new vault PIN costs at least 250 ms to derive: the abort lands while the host works, or just before.
    await win.click('button', 'Create passkey');
    await page.evaluate(() => window.__abort.abort());
    assert.equal((await result).error?.name, 'AbortError');
    await until('the window to close', () => win.isClosed());
    const host = hostClient(driver);
    try {
      // Whether the key was made and deleted or never made, the store has nothing for zoe.
      const answer = await host.call('list', { rp_id: 'localhost' });
      assert.deepEqual(answer.result?.credentials?.map((c) => c.user_name) ?? answer, []);
    } finally {
      await host.close();
    }
  });

  it('a key held down when the window opens cannot press its buttons; a fresh press can', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'held' }));
    await win.waitFor('button', 'Cancel');
    // The key goes down where it does nothing (as on the site's page), then repeats on the focused Cancel button.
    await win.evaluate(() => document.activeElement?.blur());
    await win.keyDown('Enter');
    await win.focus('button', 'Cancel');
    await win.keyDown('Enter');
    await win.keyDown('Enter');
    assert.equal(await win.isClosed(), false, 'repeats of a held key pressed Cancel');
    assert.equal(await win.evaluate(() => document.activeElement?.textContent), 'Cancel');
    await win.keyUp('Enter');
    // A fresh press: Cancel closes the window at once (the driver's own call may see it go).
    await win.keyDown('Enter').catch(() => {});
    await win.waitClosed();
    assert.equal((await result).error?.name, 'NotAllowedError');
  });

  it('a page calling create() in a burst gets a few windows at most, then NotAllowedError with none', async () => {
    const { result, consentWindows } = await driver.withoutWindow(page, async () => {
      const abort = new AbortController();
      const calls = Array.from({ length: 30 }, (_, i) =>
        kp.register({ username: `loop${i}`, signal: abort.signal }).then((r) => r.error?.name ?? 'resolved'),
      );
      // Every call but the last one to get a window settles by itself (replaced, or refused).
      const settled = [];
      for (const call of calls) call.then((name) => settled.push(name));
      while (settled.length < calls.length - 1) await new Promise((resolve) => setTimeout(resolve, 50));
      abort.abort();
      return Promise.all(calls);
    });
    const counts = {};
    for (const name of result) counts[name] = (counts[name] ?? 0) + 1;
    assert.deepEqual(counts, { NotAllowedError: 29, AbortError: 1 });
    // Without the budget every call would open a window (each replacing the one before).
    assert.ok(consentWindows.length <= WINDOWS_PER_ORIGIN, `${consentWindows.length} windows opened`);
  });
});
