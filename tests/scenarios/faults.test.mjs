// Faults in the middle of a ceremony, in every selected browser: the host killed while it carries out the
// person's decision, and the TPM gone while a hardware passkey signs. The page gets the spec's error, the person
// a clear one, and the next ceremony works. Faults of the database and the disk (locked, full, corrupted) are the
// host's alone: native-host/tests/faults.rs. ARCHITECTURE.md rule 7.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { forEachBrowser, until } from '../drivers/index.mjs';
import { startRpServer } from '../support/rp-server.mjs';
import { startSwtpm, swtpmAvailable } from '../support/swtpm.mjs';

const PIN = '604183';
const TPM_PIN = '8265';

/** The keyplace-host processes a browser started on this data directory (Linux: read from /proc). */
function hostPids(dataDir) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readlinkSync(`/proc/${entry}/exe`).endsWith('/keyplace-host')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`KEYPLACE_DATA_DIR=${dataDir}`)) {
        pids.push(Number(entry));
      }
    } catch {
      // The process ended while being read, or belongs to someone else.
    }
  }
  return pids;
}

// Runs in the page: a sign-in that also says when the page's promise settled (the same clock as the test's).
async function timedLogin(opts) {
  const v = await kp.login(opts);
  return { ...v, settledAt: Date.now() };
}

const skip = (process.platform !== 'linux' && 'finds the host process in /proc') || (!swtpmAvailable() && 'swtpm is not installed');

forEachBrowser('faults mid-ceremony', { timeout: 300_000, skip }, (browser) => {
  let tpm, driver, rp, page;

  before(async () => {
    tpm = await startSwtpm();
    rp = await startRpServer();
    driver = await browser.launch({ env: { KEYPLACE_TPM_TCTI: tpm.tcti, TSS2_LOG: 'all+none' } });
    page = await driver.openPage(rp.url('/'));
  });
  after(async () => {
    await driver?.close();
    await rp?.close();
    await tpm?.stop();
  });

  it('a vault passkey to sign with', async () => {
    const { win, result } = await driver.startCeremony(page, () =>
      kp.register({ username: 'alice', userVerification: 'required', residentKey: 'required' }),
    );
    await win.createInVault({ account: 'alice', pin: PIN, newPin: true });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
  });

  it('the host killed while it signs: the page gets NotAllowedError, and the next sign-in works', async () => {
    const { win, result } = await driver.startCeremony(page, timedLogin, { userVerification: 'required' });
    await win.fillSignIn({ account: 'alice', pin: PIN });
    // The window was filled from the host's answers, so the host is running; stopped, it cannot answer the decision.
    const [pid, ...others] = await until('the host process', async () => hostPids(driver.dirs.data).length && hostPids(driver.dirs.data));
    assert.deepEqual(others, [], 'one host per browser');
    process.kill(pid, 'SIGSTOP');
    await win.click('button', 'Sign in');
    // The button stays disabled while the decision waits for the host: the sign request is in flight.
    await until('the decision to wait for the host', async () => !(await win.isEnabled('button', 'Sign in')));
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const v = await result;
    assert.equal(v.error?.name, 'NotAllowedError', JSON.stringify(v));
    // A figure for the report (no test asserts on time): from the kill to the page's rejection.
    console.log(`[${driver.name}] NotAllowedError ${v.settledAt - killedAt} ms after the host was killed`);
    await win.waitClosed();

    // A new host process serves the next ceremony (the vault is locked again: a new process).
    const next = await driver.startCeremony(page, () => kp.login({ userVerification: 'required' }));
    await next.win.signIn({ account: 'alice', pin: PIN });
    const signed = await next.result;
    assert.equal(signed.verified, true, JSON.stringify(signed));
    assert.ok(signed.newCounter >= 1, `counter ${signed.newCounter}`);
    assert.ok(!hostPids(driver.dirs.data).includes(pid), 'the killed host is gone');
  });

  it('the TPM gone while a hardware passkey signs: a clear error in the window, NotAllowedError on Cancel', async () => {
    const registration = await driver.startCeremony(page, () =>
      kp.register({ username: 'carol', userVerification: 'required', residentKey: 'required' }),
    );
    await registration.win.createInHardware({ account: 'carol', pin: TPM_PIN });
    const registered = await registration.result;
    assert.equal(registered.verified, true, JSON.stringify(registered));

    const { win, result } = await driver.startCeremony(page, () => kp.login({ userVerification: 'required' }));
    await win.fillSignIn({ account: 'carol', pin: TPM_PIN });
    await tpm.stop();
    tpm = null;
    await win.click('button', 'Sign in');
    // The window says what happened and waits: the person can cancel or choose another passkey.
    const problem = await win.alertText();
    console.log(`[${driver.name}] TPM gone, hardware passkey: "${problem}"`);
    assert.match(problem, /lost its connection to the TPM/);
    await win.cancel();
    const v = await result;
    assert.equal(v.error?.name, 'NotAllowedError', JSON.stringify(v));
  });

  it('the TPM gone: the vault it sealed says so too, and nothing hangs', async () => {
    // Where there is a TPM the vault's data key is sealed by it (ARCHITECTURE.md rule 5): without the chip the
    // vault cannot open, and the window says why instead of waiting.
    const { win, result } = await driver.startCeremony(page, () => kp.login({ userVerification: 'required' }));
    await win.submitSignIn({ account: 'alice', pin: PIN });
    const problem = await win.alertText();
    console.log(`[${driver.name}] TPM gone, vault passkey: "${problem}"`);
    assert.match(problem, /sealed by a TPM that Keyplace cannot use now/);
    await win.cancel();
    const v = await result;
    assert.equal(v.error?.name, 'NotAllowedError', JSON.stringify(v));
  });
});
