// A hardware-bound passkey in a real TPM 2.0 (swtpm, one per file, reached by the host through
// KEYPLACE_TPM_TCTI), from registration to sign-in, judged by @simplewebauthn/server.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchKeyplace, EXTENSION_ORIGIN } from '../support/browser.mjs';
import { startRpServer } from '../support/rp-server.mjs';
import { startSwtpm, swtpmAvailable } from '../support/swtpm.mjs';
import { startCeremony, createInHardware, signIn, submitSignIn, alertText, pinField } from '../support/consent.mjs';

const HARDWARE_AAGUID = 'c95948a9-3e06-473d-a1ef-b11f0081645d';
const PIN = '7391';

describe('Hardware (TPM 2.0 on swtpm)', { timeout: 180_000, skip: !swtpmAvailable() && 'swtpm is not installed' }, () => {
  let tpm, session, rp, page;
  let credentialId;

  before(async () => {
    tpm = await startSwtpm();
    rp = await startRpServer();
    session = await launchKeyplace({ env: { KEYPLACE_TPM_TCTI: tpm.tcti, TSS2_LOG: 'all+none' } });
    page = await session.newPage(rp.url('/'));
  });
  after(async () => {
    await session?.close();
    await rp?.close();
    await tpm?.stop();
  });

  it('registers in the TPM with its own PIN; direct attestation is packed self-attestation the RP verifies', async () => {
    const { win, result } = await startCeremony(session.context, page, () =>
      kp.register({ username: 'carol', userVerification: 'required', residentKey: 'required', attestation: 'direct' }),
    );
    // With a TPM present, Hardware is offered and chosen by default.
    const hardware = win.getByRole('radio', { name: /^Hardware/ });
    await hardware.waitFor();
    assert.equal(await hardware.isEnabled(), true);
    assert.equal(await hardware.isChecked(), true);
    await createInHardware(win, { account: 'carol', pin: PIN });

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
    const { win, result } = await startCeremony(
      session.context,
      page,
      (id) => kp.login({ username: 'carol', allowCredentials: [id], userVerification: 'required' }),
      credentialId,
    );
    await signIn(win, { account: 'carol', pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.credentialId, credentialId);
    assert.equal(v.userVerified, true);
    assert.equal(v.newCounter, 1);
    assert.deepEqual({ be: v.flags.be, bs: v.flags.bs }, { be: false, bs: false });
  });

  it('a wrong PIN is refused by the chip with the tries left; the right PIN then signs', async () => {
    const { win, result } = await startCeremony(session.context, page, () => kp.login({ userVerification: 'required' }));
    await submitSignIn(win, { account: 'carol', pin: '0000' });
    assert.match(await alertText(win), /Wrong PIN\. \d+ tries left\./);
    await pinField(win).fill('');
    await signIn(win, { pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.userVerified, true);
  });

  it('the popup shows it as "TPM on this computer (cannot be copied)"', async () => {
    const popup = await session.newPage(`${EXTENSION_ORIGIN}/popup.html`);
    const item = popup.getByRole('listitem').filter({ hasText: 'carol' });
    await item.waitFor();
    assert.match(await item.innerText(), /TPM on this computer \(cannot be copied\)/);
    await popup.close();
  });
});
