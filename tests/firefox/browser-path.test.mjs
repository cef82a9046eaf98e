// Firefox: "Browser" as the storage choice. Keyplace steps aside, Firefox's own WebAuthn (here WebDriver's
// virtual authenticator, CTAP 2.1) makes the passkey, Keyplace records where it went, and signing in
// with it goes straight to the browser without a Keyplace window. Firefox allows its own WebAuthn only
// from a tab in the focused window, so this also checks that focus comes back to the page after the
// Keyplace window closes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { By } from 'selenium-webdriver';
import { launchFirefox, firefoxUnavailable, FIREFOX_VIRTUAL_AAGUID } from '../support/firefox.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const KEYPLACE_AAGUIDS = ['62ee5665-1fea-485b-9a24-9ccac93787c2', 'c95948a9-3e06-473d-a1ef-b11f0081645d'];

describe('Firefox: Browser path', { timeout: 240_000, skip: firefoxUnavailable() ?? false }, () => {
  let ff, rp, page;
  let credentialId;

  before(async () => {
    rp = await startRpServer();
    ff = await launchFirefox();
    page = await ff.openPage(rp.url('/'));
    await ff.addVirtualAuthenticator();
  });
  after(async () => {
    await ff?.close();
    await rp?.close();
  });

  it('choosing Browser hands the page\'s own options to Firefox\'s authenticator; the RP verifies', async () => {
    const { win, call } = await ff.startCeremony(page, () =>
      kp.register({ username: 'carol', userVerification: 'required', residentKey: 'required', attestation: 'direct' }),
    );
    const known = rp.credentials.size;
    // Not switching back to the page: WebDriver's switch would focus its window and hide a focus bug.
    // Instead wait (bounded) for the RP to have received the new credential, then read the page.
    await ff.createInBrowser(win);
    await ff.driver.wait(() => rp.credentials.size > known, 20_000).catch(() => {});
    const v = await ff.result(call);
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.aaguid, FIREFOX_VIRTUAL_AAGUID);
    assert.ok(!KEYPLACE_AAGUIDS.includes(v.aaguid));
    assert.equal(v.clientData.origin, rp.origin);
    const stored = await ff.virtualCredentials();
    assert.equal(stored.length, 1);
    assert.equal(Buffer.from(stored[0].id()).toString('base64url'), v.credentialId);
    credentialId = v.credentialId;
  });

  it('signing in with that credential goes straight to the browser, with no Keyplace window', async () => {
    const { result, consentWindows } = await ff.withoutWindow(
      page,
      (id) => kp.login({ allowCredentials: [id], userVerification: 'required' }),
      credentialId,
    );
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.credentialId, credentialId);
    assert.equal(result.userVerified, true);
    assert.deepEqual(consentWindows, []);
  });

  it('the popup lists it under "localhost" with a browser location, not a Keyplace one', async () => {
    await ff.openExtensionPage('popup.html');
    let texts = [];
    await ff.driver.wait(async () => {
      const items = await ff.driver.findElements(By.css('li, [role=listitem]'));
      texts = await Promise.all(items.map((li) => li.getText()));
      return texts.some((t) => /carol/.test(t));
    }, 30_000, 'the popup listed no passkey for carol');
    const carol = texts.filter((t) => /carol/.test(t));
    assert.equal(carol.length, 1, JSON.stringify(texts));
    assert.match(carol[0], /\((this device only|may be synced|synced)\)/);
    assert.doesNotMatch(carol[0], /Keyplace vault|TPM on this computer/);
    assert.equal((await ff.findByName('heading', 'localhost')).length, 1);
    await ff.driver.close();
    await ff.switchTo(page);
  });
});
