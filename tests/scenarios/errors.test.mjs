// Refusals: the person says no (Cancel, closing the window) and the browser-side security checks (IP address,
// foreign RP ID: SecurityError and no window). A page forging Keyplace's messages: channel.test.mjs.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachBrowser, withRelyingPartyPage } from '../drivers/index.mjs';

forEachBrowser('errors and refusals', { timeout: 240_000 }, (browser) => {
  let driver, rp, page;

  withRelyingPartyPage(browser, (d, r, p) => {
    [driver, rp, page] = [d, r, p];
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

  it('rp.id "keyplace.invalid" (no related origins document) from localhost gets SecurityError and no window', async () => {
    const { result, consentWindows } = await driver.withoutWindow(page, () =>
      kp.register({ username: 'dave', rpId: 'keyplace.invalid' }),
    );
    assert.equal(result.error?.name, 'SecurityError', JSON.stringify(result));
    assert.deepEqual(consentWindows, []);
    const login = await driver.withoutWindow(page, () => kp.login({ rpId: 'keyplace.invalid' }));
    assert.equal(login.result.error?.name, 'SecurityError', JSON.stringify(login.result));
    assert.deepEqual(login.consentWindows, []);
  });
});

forEachBrowser('one ceremony per tab', { timeout: 240_000 }, (browser) => {
  let driver, page;

  withRelyingPartyPage(browser, (d, _rp, p) => {
    [driver, page] = [d, p];
  });

  it('a second request from the tab ends the first: its window closes and its call gets NotAllowedError', async () => {
    const first = await driver.startCeremony(page, () => kp.register({ username: 'first' }));
    const second = await driver.startCeremony(page, () => kp.register({ username: 'second' }));
    await first.win.waitClosed();
    assert.equal(await second.win.value(null, 'Account name'), 'second');
    await second.win.cancel();
    assert.equal((await first.result).error?.name, 'NotAllowedError');
    assert.equal((await second.result).error?.name, 'NotAllowedError');
    assert.deepEqual((await driver.withoutWindow(page, () => null)).consentWindows, []);
  });
});
