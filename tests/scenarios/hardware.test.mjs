// A hardware-bound passkey in a real TPM 2.0 (swtpm, one per browser, reached by the host through
// KEYPLACE_TPM_TCTI inherited from the browser), from registration with direct attestation (packed
// self-attestation) to sign-in, judged by @simplewebauthn/server.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBrowser, until, withTpmRelyingPartyPage } from '../drivers/index.mjs';
import { swtpmAvailable } from '../support/swtpm.mjs';

const HARDWARE_AAGUID = 'c95948a9-3e06-473d-a1ef-b11f0081645d';
const PIN = '7391';

forEachBrowser('Hardware (TPM 2.0 on swtpm)', { timeout: 240_000, skip: !swtpmAvailable() && 'swtpm is not installed' }, (browser) => {
  let driver, page;
  let credentialId;
  withTpmRelyingPartyPage(browser, (d, _rp, p) => {
    [driver, page] = [d, p];
  });

  it('registers in the TPM with its own PIN; direct attestation is packed self-attestation the RP verifies', async () => {
    const { win, result } = await driver.startCeremony(page, () =>
      kp.register({ username: 'carol', userVerification: 'required', residentKey: 'required', attestation: 'direct' }),
    );
    // With a TPM present, Hardware is offered and chosen by default.
    await win.waitFor('radio', /^Hardware/);
    assert.equal(await win.isEnabled('radio', /^Hardware/), true, 'Hardware is offered (the host reached the TPM)');
    assert.equal(await win.isChecked('radio', /^Hardware/), true);
    await win.createInHardware({ account: 'carol', pin: PIN });

    const v = await result;
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.fmt, 'packed');
    assert.equal(v.aaguid, HARDWARE_AAGUID);
    assert.equal(v.userVerified, true);
    // Device-bound: not backup eligible, not backed up.
    assert.deepEqual({ be: v.flags.be, bs: v.flags.bs, uv: v.flags.uv }, { be: false, bs: false, uv: true });
    assert.equal(v.credentialDeviceType, 'singleDevice');
    assert.equal(v.credentialBackedUp, false);
    credentialId = v.credentialId;
  });

  it('signs in with the PIN checked by the chip: UV required and verified, BE=0 BS=0, counter 1', async () => {
    const { win, result } = await driver.startCeremony(
      page,
      (id) => kp.login({ username: 'carol', allowCredentials: [id], userVerification: 'required' }),
      credentialId,
    );
    await win.signIn({ account: 'carol', pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.credentialId, credentialId);
    assert.equal(v.userVerified, true);
    assert.equal(v.newCounter, 1);
    assert.deepEqual({ be: v.flags.be, bs: v.flags.bs }, { be: false, bs: false });
  });

  it('a wrong PIN is refused by the chip with the tries left; the right PIN then signs', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.login({ userVerification: 'required' }));
    await win.submitSignIn({ account: 'carol', pin: '0000' });
    assert.match(await win.alertText(), /Wrong PIN\. \d+ tries left\./);
    await win.fill('PIN', '');
    await win.signIn({ pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.userVerified, true);
  });

  it('the popup shows it as "TPM on this computer (cannot be copied)", says why, and offers no copy', async () => {
    const popup = await driver.openExtensionPage('popup.html');
    const carol = await until('the popup to list carol', async () => (await popup.texts('listitem')).find((t) => /carol/.test(t)));
    assert.match(carol, /TPM on this computer \(cannot be copied\)/);
    assert.match(carol, /Made inside this computer's TPM, which never lets it out: it cannot be copied to another device\./);
    assert.equal(await popup.count('button', 'Copy carol to another device'), 0);
    await popup.close();
  });

  it('with a TPM, a new vault PIN may be 4 characters: the window says the chip checks it', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'dave', residentKey: 'required' }));
    await win.check('radio', /^Vault/);
    await win.waitFor(null, 'Confirm PIN');
    assert.match(await win.text(), /This computer's TPM checks it and counts wrong ones/);
    await win.createInVault({ account: 'dave', pin: '5820', newPin: true });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
  });
});
