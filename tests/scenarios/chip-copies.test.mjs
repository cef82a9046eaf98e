// ★ Copies enforced by the chip, from the popup (ARCHITECTURE.md rule 10), in every selected browser. The browser's
// computer ("desktop") and two more devices ("laptop" approves, "laptop-2" receives) each have a software TPM of
// their own. A vault passkey made after the others joined lives in the desktop's TPM as a key the chip duplicates
// only with another device's signature: the popup asks for the copy, laptop approves (CLI), the request and
// approval alone do not import, the desktop's popup releases it (its TPM makes the copy), laptop-2's TPM imports it,
// and laptop-2's host signs an assertion the relying party verifies; the desktop still signs in through the window.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { forEachBrowser, until, withTpmRelyingPartyPage } from '../drivers/index.mjs';
import { deviceCli, joinThroughPopup, signAtRelyingParty, startDevicesInPopup } from '../support/devices.mjs';
import { startSwtpm } from '../support/swtpm.mjs';

const PIN = '482913';
const CARRY_DIALOG = 'Approve or import a copy';

forEachBrowser('Copies enforced by the TPM', { timeout: 300_000 }, (browser) => {
  let driver, rp, page;
  let work, laptop, laptop2, laptopTpm, laptop2Tpm;
  let credentialId, request, laptop2UsedAt;

  withTpmRelyingPartyPage(browser, (d, r, p) => {
    [driver, rp, page] = [d, r, p];
  });
  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'keyplace-chip-copies-'));
    [laptop, laptop2] = [path.join(work, 'laptop'), path.join(work, 'laptop-2')];
    [laptopTpm, laptop2Tpm] = [await startSwtpm(), await startSwtpm()];
  });
  after(async () => {
    await laptopTpm?.stop();
    await laptop2Tpm?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const openPopup = async () => {
    const popup = await driver.openExtensionPage('popup.html?site=localhost');
    await popup.waitFor('heading', 'Your devices');
    return popup;
  };
  const cli = (dataDir, tpm, args) => deviceCli(dataDir, args, { pin: PIN, tcti: tpm.tcti });

  it('enrolls three computers with TPMs, then registers a vault passkey the desktop TPM holds', async () => {
    const popup = await openPopup();
    await startDevicesInPopup(popup, 'desktop', PIN);
    await popup.close();
    for (const [dataDir, name, tpm] of [
      [laptop, 'laptop', laptopTpm],
      [laptop2, 'laptop-2', laptop2Tpm],
    ]) {
      await joinThroughPopup({ openPopup, dataDir, name, work, pin: PIN, tcti: tpm.tcti });
    }
    const { win, result } = await driver.startCeremony(page, () =>
      kp.register({ username: 'alice', userVerification: 'required', residentKey: 'required' }),
    );
    await win.createInVault({ account: 'alice', pin: PIN });
    const verdict = await result;
    assert.equal(verdict.verified, true, JSON.stringify(verdict));
    assert.deepEqual({ be: verdict.flags.be, bs: verdict.flags.bs }, { be: true, bs: false });
    credentialId = verdict.credentialId;
  });

  it('the popup asks for a copy to laptop-2; laptop approves it, and it does not import without the release', async () => {
    const popup = await openPopup();
    await until('the devices to load', () =>
      popup.evaluate(() => /laptop-2/.test(document.querySelector('#devices')?.innerText ?? '')),
    );
    // Before any copy, alice's row says where she is: in the desktop's TPM, copied only with approval.
    await until('alice to say the TPM holds her', () =>
      popup.evaluate(() =>
        /held by its TPM \(copied only with another device's approval\)/.test(
          [...document.querySelectorAll('#sites li')].find((li) => li.innerText.includes('alice'))?.innerText ?? '',
        ),
      ),
    );
    await popup.click('button', 'Copy alice to another device');
    await popup.select('Copy to', 'laptop-2');
    await popup.fill('Vault PIN of this computer, to make the request', PIN);
    await popup.click('button', 'Make copy request');
    await popup.waitFor('textbox', 'Copy request to carry');
    request = await popup.value('textbox', 'Copy request to carry');
    await popup.click('button', 'Done');
    await popup.close();
    const passkey = JSON.parse(JSON.parse(request).request.body).passkeys[0];
    assert.ok(passkey.chip, 'the request names the TPM-held key');

    const requestFile = path.join(work, 'request.json');
    const approvalFile = path.join(work, 'approval.json');
    await writeFile(requestFile, request);
    const approved = await cli(laptop, laptopTpm, [
      'copy',
      'approve',
      requestFile,
      '--out',
      approvalFile,
      '--pin-stdin',
      '--yes',
    ]);
    assert.match(approved, /held by the TPM of "desktop": bring .* back there/);
    await assert.rejects(
      cli(laptop2, laptop2Tpm, ['copy', 'import', requestFile, '--approval', approvalFile, '--pin-stdin']),
      /kept by the TPM of desktop/,
    );
  });

  it("the desktop's popup releases the approved copy; laptop-2's TPM imports it and its host signs for alice", async () => {
    const approval = await readFile(path.join(work, 'approval.json'), 'utf8');
    const popup = await openPopup();
    await popup.click('button', 'Approve or import a copy…');
    await popup.waitFor('dialog', CARRY_DIALOG);
    await popup.fill('Copy request, approval or copy package', approval);
    await popup.waitForTextIn('status', /laptop approved copying alice on localhost from desktop to laptop-2/);
    assert.deepEqual(await popup.axeViolations(), [], 'the release step');
    await popup.click('button', 'Release copy');
    await popup.waitFor('textbox', 'Copy package to carry');
    const packageText = await popup.value('textbox', 'Copy package to carry');
    assert.match(
      await popup.evaluate(() => document.querySelector('dialog[open]')?.innerText ?? ''),
      /only laptop-2's TPM can open it/,
    );
    await popup.click('button', 'Done');
    await popup.close();
    const parsed = JSON.parse(packageText);
    assert.equal(parsed.keyplace, 'copy-package-v1');
    assert.equal(parsed.duplicates.length, 1);

    const packageFile = path.join(work, 'package.json');
    await writeFile(packageFile, packageText);
    // Brought to laptop, it is refused: it is addressed to laptop-2 (and only laptop-2's TPM could open it).
    await assert.rejects(
      cli(laptop, laptopTpm, ['copy', 'import', packageFile, '--pin-stdin']),
      /addressed to another device \(laptop-2\)/,
    );
    const imported = await cli(laptop2, laptop2Tpm, ['copy', 'import', packageFile, '--pin-stdin']);
    assert.match(imported, new RegExp(`localhost: alice \\(${credentialId}\\)`));
    const verdict = await signAtRelyingParty({
      driver,
      rp,
      dataDir: laptop2,
      credentialId,
      username: 'alice',
      pin: PIN,
      tcti: laptop2Tpm.tcti,
    });
    assert.equal(verdict.verified, true, JSON.stringify(verdict));
    assert.deepEqual({ be: verdict.flags.be, bs: verdict.flags.bs }, { be: true, bs: true });
    laptop2UsedAt = Date.now();
  });

  it('the desktop still signs in with alice through the consent window (its TPM key, BS=1)', async () => {
    // A copied passkey counts seconds on every device (README): two uses within one second on two devices look
    // alike to the relying party's counter check, so this use waits for the next second.
    await until(
      "the second of laptop-2's use to be over",
      async () => Math.floor(Date.now() / 1000) > Math.floor(laptop2UsedAt / 1000),
    );
    const { win, result } = await driver.startCeremony(page, () =>
      kp.login({ username: 'alice', userVerification: 'required' }),
    );
    await win.signIn({ pin: PIN });
    const verdict = await result;
    assert.equal(verdict.verified, true, JSON.stringify(verdict));
    assert.deepEqual({ be: verdict.flags.be, bs: verdict.flags.bs }, { be: true, bs: true });
  });
});
