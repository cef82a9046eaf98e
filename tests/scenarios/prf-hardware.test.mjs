// WebAuthn prf with a hardware passkey: its PRF secret is an HMAC key inside the TPM (swtpm here), made with the
// passkey, authorised by the same PIN and never copyable (native-host/tests/hardware_tpm_prf.rs checks the chip's
// side: attributes, TPM2_HMAC equal to the host's value, restarts, lockout). Here, in both browsers: the same input
// gives the same value at registration and sign-in, another input another value, a wrong PIN gives no value, and
// the relying party verifies every ceremony.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachBrowser, withTpmRelyingPartyPage } from '../drivers/index.mjs';
import { withPrf } from '../support/prf-page.mjs';
import { swtpmAvailable } from '../support/swtpm.mjs';

const PIN = '482916';

forEachBrowser('prf with hardware (TPM) passkeys', { timeout: 240_000, skip: !swtpmAvailable() && 'swtpm is not installed' }, (browser) => {
  let driver, page, credentialId, firstValue;
  withTpmRelyingPartyPage(browser, (d, _rp, p) => {
    [driver, page] = [d, p];
  });

  it('registers in the TPM with prf: enabled, and a 32-byte value for eval', async () => {
    const { win, result } = await driver.startCeremony(page, withPrf, {
      kind: 'create',
      username: 'prf-chip',
      prf: { eval: { first: 'chip salt' } },
    });
    await win.createInHardware({ account: 'prf-chip', pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.prf.enabled, true);
    assert.equal(Buffer.from(v.prf.first, 'base64url').length, 32);
    credentialId = v.credentialId;
    firstValue = v.prf.first;
  });

  it('signs in with the same input: the same value; a second input: another value beside it', async () => {
    const { win, result } = await driver.startCeremony(page, withPrf, {
      kind: 'get',
      allow: [credentialId],
      prf: { eval: { first: 'chip salt', second: 'another salt' } },
    });
    await win.signIn({ pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.prf.first, firstValue);
    assert.notEqual(v.prf.second, firstValue);
    assert.equal(Buffer.from(v.prf.second, 'base64url').length, 32);
  });

  it('a wrong PIN gives no value: the window says so and the right PIN then gives the same value', async () => {
    const { win, result } = await driver.startCeremony(page, withPrf, {
      kind: 'get',
      allow: [credentialId],
      prf: { eval: { first: 'chip salt' } },
    });
    await win.submitSignIn({ pin: '000000' });
    assert.match(await win.alertText(), /PIN/i);
    await win.signIn({ pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.prf.first, firstValue);
  });
});
