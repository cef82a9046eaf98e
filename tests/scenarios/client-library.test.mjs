// A site that uses @simplewebauthn/browser, as many real sites do, on both sides of the library pair: the page
// library drives navigator.credentials and encodes what Keyplace returns; @simplewebauthn/server verifies it with
// its defaults. A vault passkey and a passkey in the browser's own authenticator, side by side.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachBrowser, withRelyingPartyPage } from '../drivers/index.mjs';

const PIN = '371905';

forEachBrowser('a site using @simplewebauthn/browser', { timeout: 240_000 }, (browser) => {
  let driver, rp, page;
  let vaultId;

  // The shared set-up's page has no library; each test uses the one opened with ?library.
  withRelyingPartyPage(browser, (d, r) => {
    [driver, rp] = [d, r];
  });

  it('registers a vault passkey through the library; the server library verifies it', async () => {
    page = await driver.openPage(rp.url('/?library'));
    await driver.addVirtualAuthenticator(page);
    const { win, result } = await driver.startCeremony(page, () =>
      kp.library.register({ username: 'lib-user', residentKey: 'required' }),
    );
    await win.createInVault({ account: 'lib-user', pin: PIN, newPin: true });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.userVerified, true);
    assert.equal(v.credential.authenticatorAttachment, 'platform');
    assert.ok(v.credential.response.publicKey, 'the library read getPublicKey()');
    assert.equal(v.credential.response.publicKeyAlgorithm, -7);
    assert.deepEqual(v.credential.clientExtensionResults, { credProps: { rk: true } });
    vaultId = v.credentialId;
  });

  it('signs in through the library with the vault passkey (discoverable)', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.library.login({}));
    await win.signIn({ pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.credentialId, vaultId);
    assert.equal(v.userHandleMatches, true);
  });

  it('the browser’s own passkey through the library still works beside it', async () => {
    const created = await driver.startCeremony(page, () =>
      kp.library.register({ username: 'lib-browser', residentKey: 'discouraged' }),
    );
    await created.win.createInBrowser();
    const registration = await created.result;
    assert.equal(registration.verified, true, JSON.stringify(registration));
    const { result, consentWindows } = await driver.withoutWindow(
      page,
      (id) => kp.library.login({ allowCredentials: [id] }),
      registration.credentialId,
    );
    assert.deepEqual(consentWindows, [], 'a sign-in with a foreign id goes to the browser');
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.credentialId, registration.credentialId);
  });

  it('a cancelled Keyplace window reaches the library as the browser’s NotAllowedError', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.library.register({ username: 'lib-cancel' }));
    await win.cancel();
    const v = await result;
    assert.equal(v.error?.name, 'NotAllowedError', JSON.stringify(v));
  });
});
