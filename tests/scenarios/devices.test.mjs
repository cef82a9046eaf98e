// Your devices and copies from the popup (ARCHITECTURE.md rule 10), in every selected browser. The browser's
// computer ("desktop") and two more devices, each keyplace-host's CLI on a data dir of its own ("laptop" approves,
// "laptop-2" receives), no TPM (the vaults are PIN-wrapped). The browser's computer starts the devices and approves the
// others in its popup (they ask and accept with the CLI), and a second browser joins from its own popup; the copy is
// asked for by clicking the popup, approved on another device, imported on its target, and the target's host then
// signs an assertion the relying party verifies. The popup says where the copies are, and refuses an approval by
// the device the copy comes from.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { forEachBrowser, until, withRelyingPartyPage } from '../drivers/index.mjs';
import { deviceCli, signAtRelyingParty as signAtRelyingPartyFrom, withHostOn } from '../support/devices.mjs';

const PIN = '482913';
const COPY_DIALOG = 'Copy to another device';
const CARRY_DIALOG = 'Approve or import a copy';

/** keyplace-host's CLI as one device (its own data dir, no TPM), the PIN on standard input; resolves with stdout. */
const cli = (dataDir, args, cwd) => deviceCli(dataDir, args, { pin: PIN, cwd });

const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
const sha256 = (data) => createHash('sha256').update(data).digest();

forEachBrowser('Your devices and copies', { timeout: 300_000 }, (browser) => {
  let driver, rp, page;
  let work, laptop, laptop2;
  let credentialId, request;

  withRelyingPartyPage(browser, (d, r, p) => {
    [driver, rp, page] = [d, r, p];
  });
  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'keyplace-devices-'));
    [laptop, laptop2] = [path.join(work, 'laptop'), path.join(work, 'laptop-2')];
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const openPopup = async () => {
    const popup = await driver.openExtensionPage('popup.html?site=localhost');
    await popup.waitFor('heading', 'Your devices');
    await until('the popup to list alice', () => popup.evaluate(() => document.querySelector('#sites li') !== null));
    return popup;
  };
  const aliceRow = (popup) =>
    popup.evaluate(
      () => [...document.querySelectorAll('#sites li')].find((li) => li.innerText.includes('alice'))?.innerText ?? '',
    );
  const devicesText = (popup) => popup.evaluate(() => document.querySelector('#devices')?.innerText ?? '');

  const dialogText = (popup) => popup.evaluate(() => document.querySelector('dialog[open]')?.innerText ?? '');

  const withHost = (dataDir, use) => withHostOn(driver, dataDir, use);
  const signAtRelyingParty = (dataDir, credentialId, username) =>
    signAtRelyingPartyFrom({ driver, rp, dataDir, credentialId, username, pin: PIN });

  it('registers a vault passkey in the consent window; the RP verifies it', async () => {
    const { win, result } = await driver.startCeremony(page, () =>
      kp.register({ username: 'alice', userVerification: 'required', residentKey: 'required' }),
    );
    await win.createInVault({ account: 'alice', pin: PIN, newPin: true });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.deepEqual({ be: v.flags.be, bs: v.flags.bs }, { be: true, bs: false });
    credentialId = v.credentialId;
  });

  it('before enrollment the popup says how to start; nothing can be copied yet', async () => {
    const popup = await openPopup();
    await until('the devices section to load', async () =>
      /not one of your devices yet/.test(await devicesText(popup)),
    );
    await popup.click('button', 'Copy alice to another device');
    await popup.waitFor('dialog', COPY_DIALOG);
    assert.equal(await popup.isEnabled('button', 'Make copy request'), false);
    await popup.press('Escape');
    await popup.waitFor('dialog', COPY_DIALOG, { state: 'hidden' });
    assert.equal(await popup.isFocused('button', 'Copy alice to another device'), true);
    await popup.close();
  });

  it("enrolls the browser's computer from the popup, and two more devices with its approval; the popup lists them", async () => {
    // This computer starts your devices from its popup.
    const start = await openPopup();
    await start.click('button', 'Start your devices here…');
    await start.waitFor('dialog', 'Start your devices here');
    await start.fill('Name of this computer', 'desktop');
    await start.fill('Vault PIN of this computer', PIN);
    await start.click('button', 'Start');
    await start.waitForTextIn('status', /first of your devices/);
    await start.click('button', 'Done');
    await start.close();
    for (const [dir, name] of [
      [laptop, 'laptop'],
      [laptop2, 'laptop-2'],
    ]) {
      const join = path.join(work, `${name}-join.json`);
      const ring = path.join(work, `${name}-ring.json`);
      const said = await cli(dir, ['devices', 'join-request', '--name', name, '--out', join, '--pin-stdin']);
      const shortCode = said.match(/Short code: (\S+)/)[1];
      // The popup adds it: the short code it shows is the new computer's, and only this computer's PIN approves.
      const popup = await openPopup();
      await popup.click('button', 'Add a device…');
      await popup.waitFor('dialog', 'Add a device');
      await popup.fill('Join request', await readFile(join, 'utf8'));
      await popup.waitForTextIn('status', `"${name}" asks to join your devices. Short code ${shortCode}`);
      await popup.fill('Vault PIN of this computer', '000000');
      await popup.click('button', 'Approve this device');
      assert.match(await popup.alertText(), /PIN/);
      await popup.fill('Vault PIN of this computer', PIN);
      await popup.click('button', 'Approve this device');
      await popup.waitFor('textbox', 'Ring to carry back');
      await writeFile(ring, await popup.value('textbox', 'Ring to carry back'));
      assert.deepEqual(await popup.axeViolations(), [], 'the enrolment dialog');
      await popup.click('button', 'Done');
      await popup.close();
      await cli(dir, ['devices', 'accept', ring]);
    }
    const popup = await openPopup();
    const items = await until('three devices in the popup', async () => {
      const texts = await popup.evaluate(() =>
        [...document.querySelectorAll('#device-list li')].map((li) => li.innerText),
      );
      return texts.length === 3 ? texts : null;
    });
    assert.match(items[0], /^desktop \(this computer\)/);
    assert.match(items[0], /started your devices/);
    assert.match(items[1], /^laptop\b[\s\S]*approved by desktop/);
    assert.match(items[2], /^laptop-2\b[\s\S]*approved by desktop/);
    assert.match(await aliceRow(popup), /Keyplace vault on this computer\n/);
    assert.match(await aliceRow(popup), /Only on this computer: if it is lost, so is this passkey\./);
    assert.deepEqual(await popup.axeViolations(), [], 'the popup with its devices');
    await popup.close();
  });

  it('copies alice to laptop-2 from the popup: a request to carry, with honest words', async () => {
    const popup = await openPopup();
    await until('the devices to load', async () => /laptop-2/.test(await devicesText(popup)));
    await popup.click('button', 'Copy alice to another device');
    await popup.waitFor('dialog', COPY_DIALOG);
    const words = await popup.evaluate(() => document.querySelector('dialog[open]')?.innerText ?? '');
    assert.match(words, /usable only after\s+another of your devices \(not this computer\) approves it/);
    assert.deepEqual(await popup.axeViolations(), [], 'the copy dialog');
    // A wrong PIN is refused where it was typed, and nothing is made.
    await popup.select('Copy to', 'laptop-2');
    await popup.fill('Vault PIN of this computer, to make the request', '000000');
    await popup.click('button', 'Make copy request');
    assert.match(await popup.alertText(), /PIN/);
    await popup.fill('Vault PIN of this computer, to make the request', PIN);
    await popup.press('Enter');
    await popup.waitFor('textbox', 'Copy request to carry');
    request = await popup.value('textbox', 'Copy request to carry');
    assert.equal(JSON.parse(request).keyplace, 'copy-request-v1');
    const done = await popup.evaluate(() => document.querySelector('dialog[open]')?.innerText ?? '');
    assert.match(done, /Copy request made for laptop-2/);
    assert.match(done, /Short code: \d{4}/);
    assert.match(done, /Until then the copy\s+cannot be used anywhere/);
    await popup.click('button', 'Done');
    await popup.waitFor('dialog', COPY_DIALOG, { state: 'hidden' });
    await until('alice to say where her copies are', async () =>
      /Keyplace vault on this computer and laptop-2 \(copies need approval\)/.test(await aliceRow(popup)),
    );
    assert.equal(await popup.isFocused('button', 'Copy alice to another device'), true);
    assert.doesNotMatch(await aliceRow(popup), /if it is lost/);
    await popup.close();
  });

  it('the popup refuses to approve a copy on the device it comes from', async () => {
    const popup = await openPopup();
    await popup.click('button', 'Approve or import a copy…');
    await popup.waitFor('dialog', CARRY_DIALOG);
    await popup.fill('Copy request, approval or copy package', request);
    await popup.waitForTextIn('status', /desktop asks to copy alice on localhost to laptop-2\. Short code \d{4}/);
    await popup.fill('Vault PIN of this computer, to approve or import', PIN);
    await popup.click('button', 'Approve copy');
    assert.match(await popup.alertText(), /approved only by the device it comes from/);
    await popup.click('button', 'Close');
    await popup.waitFor('dialog', CARRY_DIALOG, { state: 'hidden' });
    await popup.close();
  });

  it('laptop approves, laptop-2 imports, and laptop-2 signs for alice: the RP verifies (BS=1)', async () => {
    const requestFile = path.join(work, 'copy-request.json');
    const approvalFile = path.join(work, 'copy-approval.json');
    await writeFile(requestFile, request);
    const approved = await cli(laptop, ['copy', 'approve', requestFile, '--out', approvalFile, '--pin-stdin', '--yes']);
    assert.match(approved, /"desktop" asks to copy to "laptop-2"/);
    const imported = await cli(laptop2, ['copy', 'import', requestFile, '--approval', approvalFile, '--pin-stdin']);
    assert.match(imported, new RegExp(`localhost: alice \\(${credentialId}\\)`));
    assert.equal(JSON.parse(await readFile(approvalFile, 'utf8')).keyplace, 'copy-approval-v1');

    // laptop-2's own host signs an assertion for alice; the RP verifies it.
    const verdict = await signAtRelyingParty(laptop2, credentialId, 'alice');
    assert.equal(verdict.verified, true, JSON.stringify(verdict));
    assert.equal(verdict.credentialId, credentialId);
    assert.equal(verdict.userVerified, true);
    assert.deepEqual({ be: verdict.flags.be, bs: verdict.flags.bs }, { be: true, bs: true });
    assert.ok(verdict.newCounter > 0, JSON.stringify(verdict));

    // laptop-2's popup would say where its copy came from and who approved it (the same `devices` method).
    const listed = await withHost(laptop2, (host) => host.call('devices', {}));
    const copy = listed.result.copies.find((c) => c.credential_id === credentialId);
    assert.deepEqual(
      { role: copy.role, source: copy.source, approver: copy.approver },
      { role: 'imported', source: 'desktop', approver: 'laptop' },
    );
  });

  it('the popup approves a copy another device asked for (laptop-2 to laptop); laptop imports it and signs', async () => {
    const requestFile = path.join(work, 'second-request.json');
    const approvalFile = path.join(work, 'second-approval.json');
    await cli(laptop2, [
      'copy',
      'request',
      '--to',
      'laptop',
      '--passkey',
      'localhost',
      '--out',
      requestFile,
      '--pin-stdin',
    ]);
    const popup = await openPopup();
    await popup.click('button', 'Approve or import a copy…');
    await popup.waitFor('dialog', CARRY_DIALOG);
    await popup.fill('Copy request, approval or copy package', await readFile(requestFile, 'utf8'));
    await popup.waitForTextIn('status', /laptop-2 asks to copy alice on localhost to laptop\. Short code \d{4}/);
    await popup.fill('Vault PIN of this computer, to approve or import', PIN);
    await popup.click('button', 'Approve copy');
    await popup.waitFor('textbox', 'Approval to carry');
    assert.match(
      await dialogText(popup),
      /Approved\. Carry the copy request and this approval to laptop and import them there\./,
    );
    assert.deepEqual(await popup.axeViolations(), [], 'the approval shown');
    await writeFile(approvalFile, await popup.value('textbox', 'Approval to carry'));
    await popup.click('button', 'Done');
    await popup.waitFor('dialog', CARRY_DIALOG, { state: 'hidden' });
    assert.equal(await popup.isFocused('button', 'Approve or import a copy…'), true);
    await popup.close();

    const imported = await cli(laptop, ['copy', 'import', requestFile, '--approval', approvalFile, '--pin-stdin']);
    assert.match(imported, new RegExp(`localhost: alice \\(${credentialId}\\)`));
    const verdict = await signAtRelyingParty(laptop, credentialId, 'alice');
    assert.equal(verdict.verified, true, JSON.stringify(verdict));
    assert.deepEqual({ be: verdict.flags.be, bs: verdict.flags.bs }, { be: true, bs: true });
  });

  it('the popup imports a copy made for this computer (laptop to desktop, approved by laptop-2)', async () => {
    // laptop has a passkey of its own (its host makes it, as its browser would).
    const made = await withHost(laptop, (host) =>
      host.call('create', {
        store: 'vault',
        rp_id: 'localhost',
        user: { id: b64u(Buffer.from('bob')), name: 'bob', display_name: 'Bob' },
        pin: PIN,
        resident_key: true,
        require_user_verification: false,
      }),
    );
    const bobId = made.result.credential_id;
    const requestFile = path.join(work, 'third-request.json');
    const approvalFile = path.join(work, 'third-approval.json');
    await cli(laptop, ['copy', 'request', '--to', 'desktop', '--passkey', bobId, '--out', requestFile, '--pin-stdin']);
    await cli(laptop2, ['copy', 'approve', requestFile, '--out', approvalFile, '--pin-stdin', '--yes']);

    const popup = await openPopup();
    await popup.click('button', 'Approve or import a copy…');
    await popup.waitFor('dialog', CARRY_DIALOG);
    await popup.fill('Copy request, approval or copy package', await readFile(requestFile, 'utf8'));
    await popup.waitForTextIn('status', /laptop asks to copy bob on localhost to desktop/);
    // Without the approval nothing is imported, and the popup says why.
    await popup.fill('Vault PIN of this computer, to approve or import', PIN);
    await popup.click('button', 'Import copy here');
    assert.match(await popup.alertText(), /approval another of your devices made/);
    await popup.fill('Approval (only to import it here)', await readFile(approvalFile, 'utf8'));
    assert.deepEqual(await popup.axeViolations(), [], 'the approve or import dialog');
    await popup.click('button', 'Import copy here');
    await popup.waitForTextIn('status', "Imported into this computer's vault: bob on localhost.");
    await popup.click('button', 'Done');
    await popup.waitFor('dialog', CARRY_DIALOG, { state: 'hidden' });
    const bob = await until('bob in the list, with where he came from', async () => {
      const row = await popup.evaluate(
        () => [...document.querySelectorAll('#sites li')].find((li) => li.innerText.includes('bob'))?.innerText ?? '',
      );
      return /Keyplace vault on this computer and laptop \(copied here with approval from laptop-2\)/.test(row)
        ? row
        : null;
    });
    assert.match(bob, /bob/);
    await popup.close();

    // The browser's own host signs with the copy (BS=1).
    const data = Buffer.concat([sha256('localhost'), Buffer.from([0x01, 0, 0, 0, 0])]);
    const signed = await withHost(driver.dirs.data, (host) =>
      host.call('sign', {
        credential_id: bobId,
        authenticator_data: b64u(data),
        client_data_hash: b64u(sha256('x')),
        pin: PIN,
      }),
    );
    assert.equal(signed.error, undefined, JSON.stringify(signed.error));
    assert.equal(Buffer.from(signed.result.authenticator_data, 'base64url')[32] & 0x18, 0x18, 'BE and BS');
  });

  it("the popup still says where alice's copies are, and the copy was logged here", async () => {
    const popup = await openPopup();
    await until('alice to say where her copies are', async () =>
      /Keyplace vault on this computer and laptop-2 \(copies need approval\)/.test(await aliceRow(popup)),
    );
    await popup.close();
    const log = await cli(driver.dirs.data, ['copy', 'log']);
    assert.match(log, /localhost alice: desktop -> laptop-2 \(requested\)/);
  });

  it('a new computer joins from its own popup: a join request out, the approval back in', async () => {
    const tablet = await browser.launch();
    try {
      const popup = await tablet.openExtensionPage('popup.html');
      await popup.waitFor('heading', 'Your devices');
      await popup.click('button', 'Join your devices…');
      await popup.waitFor('dialog', 'Join your devices');
      await popup.fill('Name of this computer', 'tablet');
      await popup.fill('Vault PIN of this computer', PIN);
      await popup.click('button', 'Make join request');
      await popup.waitFor('textbox', 'Join request to carry');
      const joinRequest = await popup.value('textbox', 'Join request to carry');
      const shortCode = (await popup.text()).match(/Short code: (\S+)/)[1];
      await popup.click('button', 'Done');

      // The desktop (this test's browser) approves it in its popup, after the same short code.
      const desktop = await openPopup();
      await desktop.click('button', 'Add a device…');
      await desktop.fill('Join request', joinRequest);
      await desktop.waitForTextIn('status', `"tablet" asks to join your devices. Short code ${shortCode}`);
      await desktop.fill('Vault PIN of this computer', PIN);
      await desktop.click('button', 'Approve this device');
      await desktop.waitFor('textbox', 'Ring to carry back');
      const ring = await desktop.value('textbox', 'Ring to carry back');
      const ringCode = await desktop.evaluate(() => document.getElementById('enrol-ring-code')?.textContent ?? '');
      assert.match(ringCode, /^\d{4} \d{4} \d{4}$/);
      await desktop.close();

      await popup.click('button', 'Finish joining…');
      await popup.waitFor('dialog', 'Finish joining');
      await popup.fill('Ring from your other device', ring);
      await popup.click('button', 'Finish joining');
      await popup.waitForTextIn('status', /one of your devices now/);
      // Both popups show the same ring code, and the new computer says to compare it.
      assert.match(
        await popup.evaluate(() => document.querySelector('dialog[open]')?.innerText ?? ''),
        new RegExp(`Ring code: ${ringCode}\\s+Compare it with the ring code the approving device showed`),
      );
      await popup.click('button', 'Done');
      const items = await until('the tablet to list your devices', async () => {
        const texts = await popup.evaluate(() => [...document.querySelectorAll('#device-list li')].map((li) => li.innerText));
        return texts.length >= 2 ? texts : null;
      });
      assert.match(items[0], /^tablet \(this computer\)[\s\S]*approved by desktop/);
      assert.ok(items.some((t) => /^desktop\b/.test(t)), items.join(' | '));
    } finally {
      await tablet.close();
    }
  });
});
