// Passkey autofill (issue 10): a conditional get offers Keyplace's passkeys in a "Sign in with Keyplace" suggestion
// under the page's `webauthn` field, beside the browser's own conditional request. The suggestion is an
// extension-origin frame the page cannot read; a pick only opens the consent window, which approves. Every sign-in
// is verified by @simplewebauthn/server with its defaults (user verification required).

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { forEachBrowser, until } from '../drivers/index.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const PIN = '640213';
const SCREENSHOTS = path.join(import.meta.dirname, '..', 'screenshots');
const SUGGESTION = /^Sign in with Keyplace as /;

/** The page's answer once it has one (errors included: `until` takes an `error` member as "not yet"). */
const settled = (page) => until('the page to be answered', async () => {
  const r = await page.evaluate(() => window.__settled);
  return r && { r };
}).then(({ r }) => r);

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
  let rp, driver, page, keyplaceId, authenticator;

  before(async () => {
    rp = await startRpServer();
    driver = await browser.launch();
    page = await driver.openPage(rp.url('/'));
    authenticator = await driver.addVirtualAuthenticator(page);
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
    assert.equal(await suggestion.count('button'), 1);
    assert.equal(await suggestion.count('button', /^Sign in with Keyplace as\s*ada\s*,\s*Keyplace vault on this computer$/), 1);
    assert.deepEqual(await suggestion.axeViolations(), []);
    // The README's picture (from one browser only, so it does not change with the order of the runs).
    if (browser.name === 'chromium') await page.screenshot(path.join(SCREENSHOTS, 'autofill.png'));
    // Nothing is answered before the person picks.
    assert.equal(await page.evaluate(() => window.__settled), null);
    const win = await driver.windowAfter(() => suggestion.click('button', SUGGESTION));
    await win.signIn({ pin: PIN });
    const result = await settled(page);
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.credential.id, keyplaceId);
    await until('the suggestion to go', async () => !(await driver.hasSuggestion(page)));
    assert.equal(await page.evaluate(() => PublicKeyCredential.isConditionalMediationAvailable()), true);
  });

  it('the page sees no account name: the suggestion sits in a closed shadow root, its names only in its frame', async () => {
    await page.evaluate(startAutofill);
    await page.focus('textbox', 'Username');
    await (await driver.suggestion(page)).waitFor('button', SUGGESTION);
    const seen = await page.evaluate(() => {
      const hosts = [...document.documentElement.children].filter((e) => e.tagName === 'DIV');
      return {
        hosts: hosts.length,
        openRoots: hosts.filter((h) => h.shadowRoot !== null).length,
        html: document.documentElement.outerHTML,
        messages: JSON.stringify(window.__messages),
        settled: window.__settled,
      };
    });
    assert.equal(seen.hosts, 1);
    assert.equal(seen.openRoots, 0);
    assert.ok(!seen.html.includes('ada') && !seen.messages.includes('ada'), 'an account name reached the page');
    assert.ok(!seen.html.includes('suggest.html'), 'the frame (and its nonce) is visible to the page');
    assert.equal(seen.settled, null);
    // The page's own AbortController ends both requests and the suggestion.
    await page.evaluate(() => window.__autofill.abort());
    const aborted = await settled(page);
    assert.equal(aborted.error?.name, 'AbortError');
    await until('the suggestion to go', async () => !(await driver.hasSuggestion(page)));
  });

  it('keyboard only: ArrowDown moves into the suggestion, Enter picks, the window signs in', async () => {
    await page.evaluate(startAutofill);
    await page.focus('textbox', 'Username');
    const suggestion = await driver.suggestion(page);
    await suggestion.waitFor('button', SUGGESTION);
    await page.press('ArrowDown');
    await until('the first account to take the focus', () => suggestion.isFocused('button', SUGGESTION));
    const win = await driver.windowAfter(() => suggestion.press('Enter'));
    await win.signIn({ pin: PIN });
    const result = await settled(page);
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.credential.id, keyplaceId);
  });

  it('no suggestion when Keyplace has nothing for the request: the browser’s answer alone', async () => {
    // allowCredentials names only a passkey Keyplace does not hold: the browser's request answers alone.
    const decided = async () => (await driver.metrics()).autofill.browserAlone;
    const before = await decided();
    await page.evaluate(() => {
      window.__autofill = new AbortController();
      window.__settled = null;
      const allowCredentials = ['AAAAAAAAAAAAAAAAAAAAAA'];
      kp.login({ mediation: 'conditional', allowCredentials, signal: window.__autofill.signal }).then((r) => {
        window.__settled = r;
      });
    });
    await until('Keyplace to leave the request to the browser', async () => (await decided()) > before);
    await page.focus('textbox', 'Username');
    assert.equal(await driver.hasSuggestion(page), false);
    await page.evaluate(() => window.__autofill.abort());
    await settled(page);
  });

  it('a conditional create (an automatic upgrade) opens no Keyplace window', async () => {
    const { result, consentWindows } = await driver.withoutWindow(page, () =>
      kp.register({ username: 'upgrade', mediation: 'conditional', timeout: 5_000 }),
    );
    assert.deepEqual(consentWindows, []);
    assert.ok(result.error || result.verified !== undefined, JSON.stringify(result));
  });

  it('beside a browser passkey, the person picks Keyplace’s, then the browser’s; each answers and stops the other', async (t) => {
    if (browser.name === 'firefox') {
      // Observed: Firefox's virtual authenticator leaves a conditional request waiting for Firefox's own autofill
      // popup, which this harness cannot drive; Chromium's answers it at once, as a person picking it would.
      t.skip('Firefox’s virtual authenticator does not answer a conditional request by itself');
      return;
    }
    const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'bob', residentKey: 'required' }));
    await win.createInBrowser();
    const bob = await result;
    assert.equal(bob.verified, true, JSON.stringify(bob));
    // Both offered, the person picks each in turn. Chromium's virtual authenticator stands for the person on the
    // browser's side: without its automatic presence the browser's request waits, and Keyplace's pick answers.
    const { client, authenticatorId } = authenticator.native;
    const presence = (enabled) => client.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled });
    await presence(false);
    await page.evaluate(startAutofill);
    await page.focus('textbox', 'Username');
    const suggestion = await driver.suggestion(page);
    await suggestion.waitFor('button', /^Sign in with Keyplace as\s*ada/);
    const win2 = await driver.windowAfter(() => suggestion.click('button', /^Sign in with Keyplace as\s*ada/));
    await win2.signIn({ pin: PIN });
    const viaKeyplace = await settled(page);
    assert.equal(viaKeyplace.verified, true, JSON.stringify(viaKeyplace));
    assert.equal(viaKeyplace.credential.id, keyplaceId);
    // Then the browser's: with presence, its request answers at once, as a person picking bob in its autofill would;
    // the page gets the browser's passkey, verified, and the Keyplace side is stopped.
    await presence(true);
    await page.evaluate(startAutofill);
    const answered = await settled(page);
    assert.equal(answered.verified, true, JSON.stringify(answered));
    assert.equal(answered.credential.id, bob.credential.id);
    await page.focus('textbox', 'Username');
    assert.equal(await driver.hasSuggestion(page), false);
  });
});
