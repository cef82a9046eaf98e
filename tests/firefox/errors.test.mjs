// Firefox: refusals. Cancel and closing the window give NotAllowedError; an IP-address page and a foreign
// RP ID give SecurityError without any Keyplace window.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchFirefox, firefoxUnavailable } from '../support/firefox.mjs';
import { startRpServer } from '../support/rp-server.mjs';

describe('Firefox: errors and refusals', { timeout: 240_000, skip: firefoxUnavailable() ?? false }, () => {
  let ff, rp, page;

  before(async () => {
    rp = await startRpServer();
    ff = await launchFirefox();
    page = await ff.openPage(rp.url('/'));
  });
  after(async () => {
    await ff?.close();
    await rp?.close();
  });

  it('Cancel rejects with NotAllowedError and closes the window', async () => {
    const { win, call } = await ff.startCeremony(page, () => kp.register({ username: 'dave' }));
    await ff.cancel(win, page);
    const v = await ff.result(call);
    assert.equal(v.error?.name, 'NotAllowedError', JSON.stringify(v));
    assert.deepEqual(await ff.consentWindows(page), []);
  });

  it('closing the window rejects with NotAllowedError', async () => {
    const { win, call } = await ff.startCeremony(page, () => kp.register({ username: 'dave' }));
    await ff.driver.close(); // the consent window is current
    await ff.driver.wait(async () => !(await ff.driver.getAllWindowHandles()).includes(win), 10_000);
    const v = await ff.result(call);
    assert.equal(v.error?.name, 'NotAllowedError', JSON.stringify(v));
  });

  it('a page at http://127.0.0.1 gets SecurityError and no window', async () => {
    const ipPage = await ff.openPage(rp.ipUrl('/'), { newTab: true });
    try {
      const { result, consentWindows } = await ff.withoutWindow(ipPage, () => kp.register({ username: 'dave' }));
      assert.equal(result.error?.name, 'SecurityError', JSON.stringify(result));
      assert.deepEqual(consentWindows, []);
      const login = await ff.withoutWindow(ipPage, () => kp.login({}));
      assert.equal(login.result.error?.name, 'SecurityError', JSON.stringify(login.result));
      assert.deepEqual(login.consentWindows, []);
    } finally {
      await ff.switchTo(ipPage);
      await ff.driver.close();
      await ff.switchTo(page);
    }
  });

  it('rp.id "example.com" from localhost gets SecurityError and no window', async () => {
    const reg = await ff.withoutWindow(page, () => kp.register({ username: 'dave', rpId: 'example.com' }));
    assert.equal(reg.result.error?.name, 'SecurityError', JSON.stringify(reg.result));
    assert.deepEqual(reg.consentWindows, []);
    const login = await ff.withoutWindow(page, () => kp.login({ rpId: 'example.com' }));
    assert.equal(login.result.error?.name, 'SecurityError', JSON.stringify(login.result));
    assert.deepEqual(login.consentWindows, []);
  });
});
