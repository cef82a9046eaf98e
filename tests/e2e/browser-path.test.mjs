// "Browser" as the storage choice: Keyplace steps aside, Chromium's own WebAuthn (here its virtual
// authenticator) makes the passkey, and Keyplace only records where it went.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchKeyplace, virtualAuthenticator, EXTENSION_ORIGIN } from '../support/browser.mjs';
import { startRpServer } from '../support/rp-server.mjs';
import { startCeremony, createInBrowser, withoutWindow } from '../support/consent.mjs';

describe('Browser path', { timeout: 180_000 }, () => {
  let session, rp, page, authenticator;
  let credentialId;

  before(async () => {
    rp = await startRpServer();
    session = await launchKeyplace();
    page = await session.newPage(rp.url('/'));
    authenticator = await virtualAuthenticator(page);
  });
  after(async () => {
    await session?.close();
    await rp?.close();
  });

  it('choosing Browser hands the page\'s own options to the virtual authenticator; the RP verifies', async () => {
    const { win, result } = await startCeremony(session.context, page, () =>
      kp.register({ username: 'carol', userVerification: 'required', residentKey: 'required' }),
    );
    await createInBrowser(win);
    const v = await result;
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.fmt, 'none');
    assert.notEqual(v.aaguid, '62ee5665-1fea-485b-9a24-9ccac93787c2');
    assert.equal(v.clientData.origin, rp.origin);
    // The browser itself made it: the credential is in the virtual authenticator.
    const stored = await authenticator.credentials();
    assert.equal(stored.length, 1);
    assert.equal(Buffer.from(stored[0].credentialId, 'base64').toString('base64url'), v.credentialId);
    credentialId = v.credentialId;
  });

  it('signing in with that credential goes straight to the browser, with no Keyplace window', async () => {
    const { result, consentPages } = await withoutWindow(
      session.context,
      page,
      (id) => kp.login({ allowCredentials: [id], userVerification: 'required' }),
      credentialId,
    );
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.credentialId, credentialId);
    assert.equal(result.userVerified, true);
    assert.deepEqual(consentPages, []);
  });

  it('the popup lists it under "localhost" with a browser location', async () => {
    const popup = await session.newPage(`${EXTENSION_ORIGIN}/popup.html`);
    await popup.getByRole('heading', { name: 'localhost', exact: true }).waitFor();
    const item = popup.getByRole('listitem').filter({ hasText: 'carol' });
    await item.waitFor();
    const text = await item.innerText();
    assert.match(text, /\((this device only|may be synced|synced)\)/);
    assert.doesNotMatch(text, /Keyplace vault/);
    await popup.close();
  });
});
