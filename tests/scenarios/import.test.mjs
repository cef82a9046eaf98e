// "Arrive with your passkeys", in every selected browser: a passkey registered at the test relying party by another
// manager (its public key seeded into the RP's store, counter 0) comes in that manager's Credential Exchange Format
// (CXF 1.0) export, beside one for another site and an Ed25519 one the vault cannot keep. The person imports it by
// clicking the popup's real controls (file, checkboxes, PIN), the popup says where it came from, and the site then
// signs in with it through Keyplace's real consent window: the relying party verifies the assertion (BE, BS,
// counter 0).
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { forEachBrowser, until, withRelyingPartyPage } from '../drivers/index.mjs';

const PIN = '582046';
const EXPORTER = 'Test Manager';
const b64u = (bytes) => Buffer.from(bytes).toString('base64url');

/** A P-256 key pair: the PKCS#8 private key for the file, the SEC1 public point for the relying party. */
function p256() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  return { pkcs8: privateKey.export({ type: 'pkcs8', format: 'der' }), point };
}

/** A CXF 1.0 export as a manager writes it (the spec's header, account, items and passkey credentials). */
function cxfExport(passkeys) {
  return {
    version: { major: 1, minor: 0 },
    exporterRpId: 'manager.example',
    exporterDisplayName: EXPORTER,
    timestamp: Math.floor(Date.now() / 1000),
    accounts: [
      {
        id: b64u(randomBytes(16)),
        username: 'jane',
        email: 'jane@example.com',
        collections: [],
        items: passkeys.map((p) => ({
          id: b64u(randomBytes(16)),
          title: p.rpId,
          credentials: [
            {
              type: 'passkey',
              credentialId: b64u(p.credentialId),
              rpId: p.rpId,
              username: p.username,
              userDisplayName: p.username,
              userHandle: b64u(p.userHandle),
              key: b64u(p.pkcs8),
            },
          ],
        })),
      },
    ],
  };
}

forEachBrowser('Import passkeys from another manager', { timeout: 240_000 }, (browser) => {
  let driver, rp, page, work, file;
  const here = {
    ...p256(),
    credentialId: randomBytes(16),
    userHandle: randomBytes(16),
    rpId: 'localhost',
    username: 'jane',
  };

  withRelyingPartyPage(browser, (d, r, p) => {
    [driver, rp, page] = [d, r, p];
  });
  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'keyplace-import-'));
    file = path.join(work, 'export.json');
    const elsewhere = {
      ...p256(),
      credentialId: randomBytes(16),
      userHandle: randomBytes(8),
      rpId: 'other.example',
      username: 'bob',
    };
    const edwards = {
      pkcs8: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' }),
      credentialId: randomBytes(16),
      userHandle: randomBytes(8),
      rpId: 'ed25519.example',
      username: 'carol',
    };
    await writeFile(file, JSON.stringify(cxfExport([here, elsewhere, edwards])));
    // The passkey as the relying party stored it when the other manager registered it.
    const seeded = await fetch(rp.url('/api/test/seed-credential'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'jane',
        userHandle: b64u(here.userHandle),
        credentialId: b64u(here.credentialId),
        publicKey: b64u(here.point),
      }),
    }).then((r) => r.json());
    assert.equal(seeded.seeded, b64u(here.credentialId));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('imports the chosen passkey from the popup; the Ed25519 one is listed and cannot be chosen', async () => {
    const popup = await driver.openExtensionPage('popup.html?site=localhost');
    await popup.waitFor('heading', 'Your devices');
    await popup.click('button', 'Import passkeys…');
    await popup.waitFor('dialog', 'Import passkeys');
    await popup.chooseFile('Export file', file);
    await popup.waitForTextIn('status', `3 passkeys from ${EXPORTER}.`);
    const mine = 'localhost — jane (jane)';
    assert.equal(await popup.isChecked('checkbox', mine), true, 'what can be imported is ticked');
    assert.equal(await popup.isChecked('checkbox', 'other.example — bob (jane)'), true);
    const ed25519 = /^ed25519\.example — carol \(jane\): cannot import: its key is Ed25519/;
    assert.equal(await popup.isEnabled('checkbox', ed25519), false);
    // Only this site's passkey: the person unticks the other one.
    await popup.click('checkbox', 'other.example — bob (jane)');
    // A new vault: its PIN is chosen here, twice, under the consent window's policy (no TPM here: 6 characters).
    await popup.fill('Choose a vault PIN for this computer', '1234');
    await popup.fill('Confirm PIN', '1234');
    await popup.click('button', 'Import');
    assert.equal(await popup.alertText(), 'A vault PIN needs at least 6 characters.');
    await popup.fill('Choose a vault PIN for this computer', PIN);
    await popup.fill('Confirm PIN', PIN);
    assert.deepEqual(await popup.axeViolations(), [], 'the import dialog');
    await popup.click('button', 'Import');
    await popup.waitForTextIn(
      'status',
      `Imported 1 passkey from ${EXPORTER} into the Keyplace vault on this computer.`,
    );
    await popup.click('button', 'Done');
    await popup.waitFor('dialog', 'Import passkeys', { state: 'hidden' });
    const rows = await until('the imported passkey in the list', async () => {
      const texts = await popup.evaluate(() => [...document.querySelectorAll('#sites li')].map((li) => li.innerText));
      return texts.length ? texts : null;
    });
    assert.equal(rows.length, 1, `only the chosen one: ${rows}`);
    assert.match(rows[0], /jane/);
    assert.match(rows[0], new RegExp(`Keyplace vault on this computer — imported from ${EXPORTER}, was synced`));
    await popup.close();
  });

  it('popup.html?import (where the toolbar popup sends the person, as a file picker would close it) opens the dialog', async () => {
    const popup = await driver.openExtensionPage('popup.html?import');
    await popup.waitFor('dialog', 'Import passkeys');
    await popup.click('button', 'Import');
    assert.equal(await popup.alertText(), 'Choose the export file first.');
    await popup.click('button', 'Cancel');
    await popup.waitFor('dialog', 'Import passkeys', { state: 'hidden' });
    await popup.close();
  });

  it('signs in at the site with it through the consent window; the relying party verifies it', async () => {
    const { win, result } = await driver.startCeremony(page, () =>
      kp.login({ username: 'jane', userVerification: 'required' }),
    );
    assert.match(await win.text(), new RegExp(`imported from ${EXPORTER}, was synced`));
    await win.signIn({ pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.credentialId, b64u(here.credentialId));
    assert.equal(v.userHandleMatches, true);
    assert.deepEqual({ uv: v.flags.uv, be: v.flags.be, bs: v.flags.bs }, { uv: true, be: true, bs: true });
    assert.equal(v.counter, 0, 'the counter stays 0, as the synced provider left it');
    assert.equal(v.credentialDeviceType, 'multiDevice');
  });
});
