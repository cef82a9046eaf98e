// Firefox: a hardware-bound passkey in a TPM 2.0 (swtpm, one per file, reached by the host through
// KEYPLACE_TPM_TCTI inherited from geckodriver -> Firefox), registered with its PIN and direct
// attestation (packed self-attestation), then used to sign in. Judged by @simplewebauthn/server.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchFirefox, firefoxUnavailable } from '../support/firefox.mjs';
import { startRpServer } from '../support/rp-server.mjs';
import { startSwtpm, swtpmAvailable } from '../support/swtpm.mjs';

const HARDWARE_AAGUID = 'c95948a9-3e06-473d-a1ef-b11f0081645d';
const PIN = '7391';
const skip = firefoxUnavailable() ?? (!swtpmAvailable() && 'swtpm is not installed');

describe('Firefox: Hardware (TPM 2.0 on swtpm)', { timeout: 240_000, skip: skip || false }, () => {
  let tpm, ff, rp, page;
  let credentialId;

  before(async () => {
    tpm = await startSwtpm();
    rp = await startRpServer();
    ff = await launchFirefox({ env: { KEYPLACE_TPM_TCTI: tpm.tcti, TSS2_LOG: 'all+none' } });
    page = await ff.openPage(rp.url('/'));
  });
  after(async () => {
    await ff?.close();
    await rp?.close();
    await tpm?.stop();
  });

  it('registers in the TPM with its own PIN; direct attestation is packed and verifies', async () => {
    const { win, call } = await ff.startCeremony(page, () =>
      kp.register({ username: 'carol', userVerification: 'required', residentKey: 'required', attestation: 'direct' }),
    );
    const hardware = await ff.byName('radio', /^Hardware/);
    assert.equal(await hardware.isEnabled(), true, 'Hardware is offered (the host reached the TPM)');
    await ff.createInHardware(win, { account: 'carol', pin: PIN }, page);

    const v = await ff.result(call);
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.fmt, 'packed');
    assert.equal(v.aaguid, HARDWARE_AAGUID);
    assert.equal(v.userVerified, true);
    assert.deepEqual({ be: v.flags.be, bs: v.flags.bs, uv: v.flags.uv }, { be: false, bs: false, uv: true });
    assert.equal(v.credentialDeviceType, 'singleDevice');
    credentialId = v.credentialId;
  });

  it('signs in with the PIN checked by the chip: UV, BE=0 BS=0, counter 1', async () => {
    const { win, call } = await ff.startCeremony(
      page,
      (id) => kp.login({ username: 'carol', allowCredentials: [id], userVerification: 'required' }),
      credentialId,
    );
    await ff.signIn(win, { account: 'carol', pin: PIN }, page);
    const v = await ff.result(call);
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.credentialId, credentialId);
    assert.equal(v.userVerified, true);
    assert.equal(v.newCounter, 1);
    assert.deepEqual({ be: v.flags.be, bs: v.flags.bs }, { be: false, bs: false });
  });
});
