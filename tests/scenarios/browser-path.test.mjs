// "Browser" as the storage choice: Keyplace steps aside, the browser's own WebAuthn (its virtual
// authenticator: CDP in Chromium, WebDriver's CTAP 2.1 one in Firefox) makes the passkey, Keyplace records
// where it went, and signing in with it goes straight to the browser without a Keyplace window. Firefox
// allows its own WebAuthn only from a tab in the focused window, so this also checks that focus comes
// back to the page after the Keyplace window closes (the test does not switch back to the page itself).
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBrowser, until } from '../drivers/index.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const KEYPLACE_AAGUIDS = ['62ee5665-1fea-485b-9a24-9ccac93787c2', 'c95948a9-3e06-473d-a1ef-b11f0081645d'];

forEachBrowser('Browser path', { timeout: 240_000 }, (browser) => {
  let driver, rp, page, authenticator;
  let credentialId;

  before(async () => {
    rp = await startRpServer();
    driver = await browser.launch();
    page = await driver.openPage(rp.url('/'));
    authenticator = await driver.addVirtualAuthenticator(page);
  });
  after(async () => {
    await driver?.close();
    await rp?.close();
  });

  it("choosing Browser hands the page's own options to the browser's authenticator; the RP verifies", async () => {
    // Firefox: direct attestation, to see its virtual authenticator's AAGUID; Chromium: none asked, none given.
    const attestation = browser.name === 'firefox' ? 'direct' : 'none';
    const { win, result } = await driver.startCeremony(
      page,
      (a) => kp.register({ username: 'carol', userVerification: 'required', residentKey: 'required', attestation: a }),
      attestation,
    );
    const known = rp.credentials.size;
    await win.createInBrowser();
    // Wait for the RP to have the new credential before reading the page (reading it in Firefox would
    // focus the page's window and hide a focus bug).
    await until('the RP to receive the credential', async () => rp.credentials.size > known, 20_000).catch(() => {});
    const v = await result;
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    if (driver.virtualAuthenticatorAaguid) assert.equal(v.aaguid, driver.virtualAuthenticatorAaguid);
    else assert.equal(v.fmt, 'none');
    assert.ok(!KEYPLACE_AAGUIDS.includes(v.aaguid), v.aaguid);
    assert.equal(v.clientData.origin, rp.origin);
    // The browser itself made it: the credential is in the virtual authenticator.
    assert.deepEqual(await authenticator.credentialIds(), [v.credentialId]);
    credentialId = v.credentialId;
  });

  it('signing in with that credential goes straight to the browser, with no Keyplace window', async () => {
    const { result, consentWindows } = await driver.withoutWindow(
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
    const popup = await driver.openExtensionPage('popup.html');
    await popup.waitFor('heading', 'localhost');
    const carol = await until('the popup to list carol', async () => {
      const found = (await popup.texts('listitem')).filter((t) => /carol/.test(t));
      return found.length ? found : null;
    });
    assert.equal(carol.length, 1, JSON.stringify(carol));
    assert.match(carol[0], /\((this device only|may be synced|synced)\)/);
    assert.doesNotMatch(carol[0], /Keyplace vault|TPM on this computer/);
    assert.equal(await popup.count('heading', 'localhost'), 1);
    await popup.close();
  });
});
