// get() never gets in the way: credentials Keyplace does not hold go to the browser with no window (and
// Keyplace records where they are from the flags); with the host missing, every sign-in goes to the browser
// with a one-line notice on the toolbar button and in the popup. The RP verifies every assertion.

import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { after, before, it } from 'node:test';
import { forEachBrowser, until } from '../drivers/index.mjs';
import { startRpServer } from '../support/rp-server.mjs';

/**
 * A passkey that exists only in the browser's (virtual) authenticator and at the RP, as if made before
 * Keyplace was installed: Keyplace never saw its registration.
 */
async function preexistingPasskey(authenticator, rp, { username, resident, backupEligible, backupState }) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const id = randomBytes(16);
  const userId = randomBytes(16);
  await authenticator.addCredential({
    id,
    rpId: 'localhost',
    privateKeyPkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }),
    userHandle: userId,
    resident,
    backupEligible,
    backupState,
  });
  // COSE_Key {1: 2, 3: -7, -1: 1, -2: x, -3: y}, as the RP stores it.
  const jwk = publicKey.export({ format: 'jwk' });
  const cose = Buffer.concat([
    Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]),
    Buffer.from(jwk.x, 'base64url'),
    Buffer.from([0x22, 0x58, 0x20]),
    Buffer.from(jwk.y, 'base64url'),
  ]);
  const user = { name: username, id: new Uint8Array(userId), credentials: [] };
  const record = {
    id: id.toString('base64url'),
    publicKey: new Uint8Array(cose),
    counter: 0,
    transports: ['internal'],
    user,
  };
  rp.users.set(username, user);
  rp.credentials.set(record.id, record);
  user.credentials.push(record);
  return record.id;
}

forEachBrowser('get() falls back to the browser', { timeout: 300_000 }, (browser) => {
  let driver, rp, page, authenticator;
  let erin, frank;
  // Firefox's WebDriver authenticator ignores backupEligibility/backupState on an injected credential, so
  // there erin's passkey is device-bound (BE=0 BS=0) and Keyplace must say so; Chromium's CDP keeps the flags.
  const synced = browser.name === 'chromium';
  const erinLocation = synced ? 'Synced passkey provider (synced)' : 'Browser or security key (on one device)';

  const recorded = async () =>
    (await driver.extensionEval(() => (globalThis.browser ?? chrome).storage.local.get('browserPasskeys')))
      .browserPasskeys ?? [];
  const popupItems = (popup) => popup.texts('listitem');

  before(async () => {
    rp = await startRpServer();
    driver = await browser.launch();
    page = await driver.openPage(rp.url('/'));
    authenticator = await driver.addVirtualAuthenticator(page);
    erin = await preexistingPasskey(authenticator, rp, {
      username: 'erin',
      resident: true,
      backupEligible: true,
      backupState: true,
    });
    frank = await preexistingPasskey(authenticator, rp, {
      username: 'frank',
      resident: false,
      backupEligible: false,
      backupState: false,
    });
  });
  after(async () => {
    await driver?.close();
    await rp?.close();
  });

  it('foreign-only allowCredentials never opens the window; the virtual authenticator answers and the RP verifies', async () => {
    const { result, consentWindows } = await driver.withoutWindow(page, () =>
      kp.login({ username: 'erin', allowCredentials: 'user', userVerification: 'required' }),
    );
    assert.deepEqual(consentWindows, []);
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.credentialId, erin);
    assert.equal(result.userVerified, true);
  });

  it('a Browser-path sign-in with a credential Keyplace had not seen is recorded, with a location from its flags', async () => {
    const record = await until("erin's passkey to be recorded", async () =>
      (await recorded()).find((p) => p.credentialId === erin),
    );
    assert.equal(record.rpId, 'localhost');
    assert.equal(record.seenAt, 'sign-in');
    assert.deepEqual(
      { be: record.backupEligible, bs: record.backupState, attachment: record.attachment },
      { be: synced, bs: synced, attachment: 'platform' },
    );
    assert.equal(record.location, erinLocation);
    assert.equal(record.aaguid, null, 'assertions carry no AAGUID');
    // Public facts only: nothing that looks like key material or the signature.
    assert.deepEqual(Object.keys(record).sort(), [
      'aaguid',
      'attachment',
      'backupEligible',
      'backupState',
      'createdAt',
      'credentialId',
      'lastUsedAt',
      'location',
      'rpId',
      'seenAt',
      'signCount',
      'transports',
      'userName',
    ]);

    const popup = await driver.openExtensionPage('popup.html?site=localhost');
    const item = await until("erin's passkey in the popup", async () =>
      (await popupItems(popup)).find((t) => t.includes(erinLocation)),
    );
    assert.match(item, /Unknown account/);
    assert.match(item, /sign count [1-9]/);
    await popup.close();
  });

  it('a report forged by the page is not taken: the page sees no request id to forge it with', async (t) => {
    // The shim reports over its private channel; the page can only post look-alikes on the window, with a
    // made-up id (it never sees the real one) and another site's rpIdHash.
    const { result } = await driver.withoutWindow(
      page,
      async (id) => {
        const evilHash = new Uint8Array(
          await crypto.subtle.digest('SHA-256', new TextEncoder().encode('evil.example')),
        );
        const forged = kp.b64u.encode(new Uint8Array([...evilHash, 0x1d, 0, 0, 0, 9]));
        const verdict = await kp.login({ allowCredentials: [id] });
        const guessed =
          window.__messages.map((m) => m.data?.id).find((v) => typeof v === 'string') ?? 'AAAAAAAAAAAAAAAAAAAAAA';
        window.postMessage(
          {
            kp: 'kp-rec',
            id: guessed,
            credential: { id, authenticatorData: forged, authenticatorAttachment: 'platform' },
          },
          '*',
        );
        return verdict;
      },
      frank,
    );
    assert.equal(result.verified, true, JSON.stringify(result));
    // A later, honest sign-in is recorded: so by then the forged report would have been too, had it been taken.
    const honest = await driver.withoutWindow(page, (id) => kp.login({ allowCredentials: [id] }), frank);
    assert.equal(honest.result.verified, true, JSON.stringify(honest.result));
    const record = await until("frank's passkey recorded from the latest sign-in", async () =>
      (await recorded()).find((p) => p.credentialId === frank && p.signCount === honest.result.newCounter),
    );
    assert.equal(record.location, 'Browser or security key (on one device)');
    t.diagnostic(
      `sign counts at the RP: ${result.newCounter}, then ${honest.result.newCounter}; recorded ${record.signCount}`,
    );
    assert.notEqual(record.signCount, 9, 'not the forged counter');
    if (browser.name === 'chromium') assert.equal(record.signCount, 2);
  });

  it('with the host missing, the browser handles the sign-in; the toolbar button shows "!" and the reason, so does the popup', async () => {
    const manifest = await readFile(driver.nativeHostManifest, 'utf8');
    await unlink(driver.nativeHostManifest);
    // Restart the background: its open port to the host closes, and the next connectNative finds no host.
    await driver.restartBackground(page);

    await page.bringToFront();
    const { result, consentWindows } = await driver.withoutWindow(page, () =>
      kp.login({ userVerification: 'required' }),
    );
    assert.deepEqual(consentWindows, []);
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.credentialId, erin);

    const badges = () =>
      driver.extensionEval(async () => {
        const api = globalThis.browser ?? chrome;
        const out = [];
        for (const tab of await api.tabs.query({})) {
          out.push({
            active: tab.active,
            text: await api.action.getBadgeText({ tabId: tab.id }),
            title: await api.action.getTitle({ tabId: tab.id }),
          });
        }
        return out;
      });
    const marked = await until('the "!" badge', async () => {
      const found = (await badges()).filter((b) => b.text === '!');
      return found.length ? found : null;
    });
    assert.equal(marked.length, 1, JSON.stringify(marked));
    assert.equal(marked[0].active, true, "on the RP page's tab");
    const line = marked[0].title;
    assert.match(line, /browser handled this sign-in/);
    assert.match(line, /not installed|keyplace-host install/i);
    assert.doesNotMatch(line, /\n/);

    const popup = await driver.openExtensionPage('popup.html?site=localhost');
    const notice = await until('the notice in the popup', () =>
      popup.evaluate(() => document.querySelector('#notice')?.innerText.trim() || null),
    );
    assert.equal(notice, line);
    // Still useful without its host: the passkeys Keyplace recorded are listed.
    await until('the recorded passkey in the popup', async () =>
      (await popupItems(popup)).some((t) => t.includes(erinLocation)),
    );
    await popup.close();

    // The host is back: the next sign-in reaches it and the notice goes away.
    await writeFile(driver.nativeHostManifest, manifest);
    await page.bringToFront();
    const again = await driver.withoutWindow(page, () => kp.login({}));
    assert.equal(again.result.verified, true, JSON.stringify(again.result));
    await until('the badge to clear', async () => (await badges()).every((b) => b.text === ''));
  });
});
