// ★ The recovery sheet from the popup (ARCHITECTURE.md rule 10), in every selected browser. The browser's computer
// ("desktop", no TPM) starts your devices and makes a sheet ("paper") in its popup: the code is shown once, with the
// warning, and the sheet is listed as a device marked as a recovery sheet. The popup then makes a backup (a copy of
// alice to the sheet) and approves it with the sheet's code, after refusing a mistyped one; it approves a new
// computer ("laptop", keyplace-host's CLI on a data dir of its own) with the sheet too, and both show the same ring
// code. Last, a second browser on a computer in no ring restores the backup from its popup with the sheet, and its
// host signs for alice: the relying party verifies the restored passkey (BS=1).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { forEachBrowser, until, withRelyingPartyPage } from '../drivers/index.mjs';
import { deviceCli, signAtRelyingParty, startDevicesInPopup } from '../support/devices.mjs';

const PIN = '482913';
const NEW_PIN = '739184';
const SHEET_DIALOG = 'Make a recovery sheet';
const CARRY_DIALOG = 'Approve or import a copy';

/** The code with one character changed, as a typo would: the code's check catches it. */
const typo = (code) => {
  const at = code.length - 4;
  return `${code.slice(0, at)}${code[at] === 'A' ? 'B' : 'A'}${code.slice(at + 1)}`;
};

forEachBrowser('The recovery sheet', { timeout: 240_000 }, (browser) => {
  let driver, rp, page;
  let work, laptop;
  let credentialId, code, backup, approval;

  withRelyingPartyPage(browser, (d, r, p) => {
    [driver, rp, page] = [d, r, p];
  });
  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'keyplace-recovery-'));
    laptop = path.join(work, 'laptop');
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const openPopup = async (on = driver) => {
    const popup = await on.openExtensionPage('popup.html?site=localhost');
    await popup.waitFor('heading', 'Your devices');
    return popup;
  };
  const dialogText = (popup) => popup.evaluate(() => document.querySelector('dialog[open]')?.innerText ?? '');
  const textOf = (popup, id) => popup.evaluate((el) => document.getElementById(el)?.textContent ?? '', id);

  it('registers alice in the vault and starts your devices in the popup', async () => {
    const { win, result } = await driver.startCeremony(page, () =>
      kp.register({ username: 'alice', userVerification: 'required', residentKey: 'required' }),
    );
    await win.createInVault({ account: 'alice', pin: PIN, newPin: true });
    const verdict = await result;
    assert.equal(verdict.verified, true, JSON.stringify(verdict));
    credentialId = verdict.credentialId;
    const popup = await openPopup();
    await startDevicesInPopup(popup, 'desktop', PIN);
    await popup.close();
  });

  it('makes a recovery sheet: its code shown once, to print, with the warning; listed as a recovery sheet', async () => {
    const popup = await openPopup();
    await popup.click('button', 'Make a recovery sheet…');
    await popup.waitFor('dialog', SHEET_DIALOG);
    assert.equal(await popup.value(null, 'Name of the sheet among your devices'), 'recovery sheet');
    await popup.fill('Name of the sheet among your devices', 'paper');
    await popup.fill('Vault PIN of this computer, to enroll the sheet', PIN);
    await popup.click('button', 'Make the sheet');
    await popup.waitForTextIn('status', /Your recovery sheet "paper" is one of your devices now/);
    code = await textOf(popup, 'recovery-code');
    assert.match(code, /^KPRS1(-[A-Z2-7]{1,5})+$/);
    const shown = await dialogText(popup);
    assert.match(shown, /Keyplace recovery sheet/);
    assert.match(shown, /keep it offline/);
    assert.match(shown, /Anyone with this code and a computer in your ring of devices can approve copies/);
    assert.equal(await popup.isVisible('button', 'Print'), true);
    assert.deepEqual(await popup.axeViolations(), [], 'the sheet shown');
    await popup.click('button', 'Done');
    await popup.waitFor('dialog', SHEET_DIALOG, { state: 'hidden' });
    // The code is gone from the page with the dialog; the sheet is one of your devices.
    assert.equal(await textOf(popup, 'recovery-code'), '');
    const items = await until('the sheet in the list', async () => {
      const texts = await popup.evaluate(() => [...document.querySelectorAll('#device-list li')].map((li) => li.innerText));
      return texts.length === 2 ? texts : null;
    });
    assert.match(items[1], /^paper \(recovery sheet\)[\s\S]*approved by desktop/);
    await popup.close();
  });

  it('backs alice up to the sheet and approves the copy with its code; a typo is refused and changes nothing', async () => {
    const popup = await openPopup();
    await until('alice in the list', () => popup.evaluate(() => document.querySelector('#sites li') !== null));
    await popup.click('button', 'Copy alice to another device');
    await popup.select('Copy to', 'paper');
    await popup.fill('Vault PIN of this computer, to make the request', PIN);
    await popup.click('button', 'Make copy request');
    await popup.waitFor('textbox', 'Copy request to carry');
    backup = await popup.value('textbox', 'Copy request to carry');
    await popup.click('button', 'Done');

    await popup.click('button', 'Approve or import a copy…');
    await popup.waitFor('dialog', CARRY_DIALOG);
    await popup.fill('Copy request, approval or copy package', backup);
    await popup.waitForTextIn('status', /desktop asks to copy alice on localhost to paper/);
    await popup.check('checkbox', "Approve the copy with a recovery sheet instead of this computer's PIN");
    await popup.fill('Code from your recovery sheet, to approve the copy', typo(code));
    await popup.click('button', 'Approve copy');
    assert.match(await popup.alertText(), /a character is mistyped: check it against the sheet/);
    assert.equal(await popup.isVisible('textbox', 'Approval to carry'), false);
    await popup.fill('Code from your recovery sheet, to approve the copy', code.toLowerCase());
    await popup.click('button', 'Approve copy');
    await popup.waitFor('textbox', 'Approval to carry');
    approval = await popup.value('textbox', 'Approval to carry');
    assert.match(await dialogText(popup), /Carry the copy request and this approval to paper/);
    await popup.click('button', 'Done');
    await popup.close();
    assert.equal(JSON.parse(approval).keyplace, 'copy-approval-v1');
  });

  it('approves a new computer with the sheet; the popup and the new computer show the same ring code', async () => {
    const join = path.join(work, 'laptop-join.json');
    const ring = path.join(work, 'laptop-ring.json');
    const said = await deviceCli(laptop, ['devices', 'join-request', '--name', 'laptop', '--out', join, '--pin-stdin'], {
      pin: PIN,
    });
    const shortCode = said.match(/Short code: (\S+)/)[1];
    const popup = await openPopup();
    await popup.click('button', 'Add a device…');
    await popup.waitFor('dialog', 'Add a device');
    await popup.fill('Join request', await readFile(join, 'utf8'));
    await popup.waitForTextIn('status', `"laptop" asks to join your devices. Short code ${shortCode}`);
    // The sheet approves instead of this computer's PIN (a typo is refused as for a copy: the host's unit tests).
    await popup.check('checkbox', "Approve with a recovery sheet instead of this computer's PIN");
    await popup.fill('Code from your recovery sheet, to approve the new computer', code);
    await popup.click('button', 'Approve this device');
    await popup.waitFor('textbox', 'Ring to carry back');
    const ringCode = (await textOf(popup, 'enrol-ring-code')).trim();
    assert.match(ringCode, /^\d{4} \d{4} \d{4}$/);
    assert.match(await dialogText(popup), /Ring code: \d{4} \d{4} \d{4}\s+Compare: once the new computer has finished/);
    await writeFile(ring, await popup.value('textbox', 'Ring to carry back'));
    await popup.click('button', 'Done');
    const items = await until('laptop in the list', async () => {
      const texts = await popup.evaluate(() => [...document.querySelectorAll('#device-list li')].map((li) => li.innerText));
      return texts.length === 3 ? texts : null;
    });
    assert.match(items[2], /^laptop\b[\s\S]*approved by paper/);
    await popup.close();
    const accepted = await deviceCli(laptop, ['devices', 'accept', ring]);
    assert.equal(accepted.match(/Ring code: (\d{4} \d{4} \d{4})/)?.[1], ringCode, accepted);
  });

  it('a computer in no ring restores the backup from its popup with the sheet; the RP verifies the restored alice', async () => {
    const fresh = await browser.launch();
    try {
      const popup = await openPopup(fresh);
      await popup.click('button', 'Restore from a recovery sheet…');
      await popup.waitFor('dialog', 'Restore from a recovery sheet');
      await popup.fill('Name for this computer', 'new-desktop');
      await popup.fill('Backup: the copy request made for the sheet', backup);
      await popup.fill("The sheet's approval of it", approval);
      await popup.fill('Code from your recovery sheet', typo(code));
      await popup.fill('Vault PIN for this computer (a new one, or its current one)', NEW_PIN);
      await popup.fill('The same PIN again', NEW_PIN);
      await popup.click('button', 'Restore');
      assert.match(await popup.alertText(), /mistyped/);
      await popup.fill('Code from your recovery sheet', code);
      await popup.fill('Vault PIN for this computer (a new one, or its current one)', NEW_PIN);
      await popup.fill('The same PIN again', NEW_PIN);
      await popup.click('button', 'Restore');
      await popup.waitForTextIn('status', /Restored into this computer's vault: alice on localhost/);
      assert.match(await dialogText(popup), /Ring code: \d{4} \d{4} \d{4}/);
      assert.deepEqual(await popup.axeViolations(), [], 'the restore done');
      await popup.click('button', 'Done');
      const items = await until('the restored computer to list your devices', async () => {
        const texts = await popup.evaluate(() => [...document.querySelectorAll('#device-list li')].map((li) => li.innerText));
        return texts.length >= 3 ? texts : null;
      });
      assert.match(items[0], /^new-desktop \(this computer\)[\s\S]*approved by paper/);
      assert.ok(items.some((t) => /^paper \(recovery sheet\)/.test(t)), items.join(' | '));
      // The popup stays open: it is this browser's only window (Firefox ends the session with its last one).

      const verdict = await signAtRelyingParty({
        driver: fresh,
        rp,
        dataDir: fresh.dirs.data,
        credentialId,
        username: 'alice',
        pin: NEW_PIN,
      });
      assert.equal(verdict.verified, true, JSON.stringify(verdict));
      assert.equal(verdict.credentialId, credentialId);
      assert.deepEqual({ be: verdict.flags.be, bs: verdict.flags.bs }, { be: true, bs: true });
    } finally {
      await fresh.close();
    }
  });
});
