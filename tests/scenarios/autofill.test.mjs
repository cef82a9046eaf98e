// Passkey autofill (issue 10): a conditional get offers Keyplace's passkeys in a "Sign in with Keyplace" suggestion
// under the page's `webauthn` field, beside the browser's own conditional request. The suggestion is an
// extension-origin frame the page cannot read; a pick only opens the consent window, which approves. Every sign-in
// is verified by @simplewebauthn/server with its defaults (user verification required).

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachBrowser, until } from '../drivers/index.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const PIN = '640213';
const SUGGESTION = /^Sign in with Keyplace as /;

/** The page's sign-in form: a username field that asks for passkey autofill, and a conditional get behind it. */
function startAutofill() {
  document.getElementById('signin')?.remove();
  const form = document.createElement('form');
  form.id = 'signin';
  form.innerHTML =
    '<label for="username">Username</label> <input id="username" name="username" autocomplete="username webauthn">';
  document.body.append(form);
  window.__autofill = new AbortController();
  window.__signin = kp.login({ mediation: 'conditional', signal: window.__autofill.signal });
  window.__settled = null;
  window.__signin.then((r) => {
    window.__settled = r;
  });
}

forEachBrowser('passkey autofill', { timeout: 300_000 }, (browser) => {
  let rp, driver, page, keyplaceId;

  before(async () => {
    rp = await startRpServer();
    driver = await browser.launch();
    page = await driver.openPage(rp.url('/'));
    await driver.addVirtualAuthenticator(page);
    const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'ada', residentKey: 'required' }));
    await win.createInVault({ account: 'ada', pin: PIN, newPin: true });
    const registered = await result;
    assert.equal(registered.verified, true, JSON.stringify(registered));
    keyplaceId = registered.credential.id;
  });
  after(async () => {
    await driver?.close();
    await rp?.close();
  });

  it('focusing the webauthn field shows "Sign in with Keyplace"; the pick opens the window, which signs in', async () => {
    await page.evaluate(startAutofill);
    await page.focus('textbox', 'Username');
    const suggestion = await driver.suggestion(page);
    await suggestion.waitFor('button', SUGGESTION);
    assert.deepEqual(await suggestion.texts('button'), [`ada\nKeyplace vault on this computer`]);
    // Nothing is answered before the person picks.
    assert.equal(await page.evaluate(() => window.__settled), null);
    const win = await driver.windowAfter(() => suggestion.click('button', SUGGESTION));
    await win.signIn({ pin: PIN });
    const result = await until('the page to be answered', () => page.evaluate(() => window.__settled));
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.credential.id, keyplaceId);
    assert.equal(await driver.hasSuggestion(page), false);
  });
});
