// get() never gets in the way: credentials Keyplace does not hold go to the browser with no window (and
// Keyplace records where they are from the flags); with the host missing, every sign-in goes to the browser
// with a one-line notice on the toolbar button and in the popup. The RP verifies every assertion.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { launchKeyplace, virtualAuthenticator, EXTENSION_ORIGIN } from '../support/browser.mjs';
import { startRpServer } from '../support/rp-server.mjs';
import { withoutWindow } from '../support/consent.mjs';

/** Polls a condition (no fixed sleeps): resolves with its first truthy value, fails after `timeout`. */
async function until(what, fn, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await fn().catch((err) => ({ error: String(err) }));
    if (last && !last.error) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/**
 * A passkey that exists only in the browser's (virtual) authenticator and at the RP, as if made before
 * Keyplace was installed: Keyplace never saw its registration.
 */
async function preexistingPasskey(authenticator, rp, { username, resident, backupEligible, backupState }) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const id = randomBytes(16);
  const userId = randomBytes(16);
  await authenticator.client.send('WebAuthn.addCredential', {
    authenticatorId: authenticator.authenticatorId,
    credential: {
      credentialId: id.toString('base64'),
      isResidentCredential: resident,
      rpId: 'localhost',
      privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      userHandle: userId.toString('base64'),
      signCount: 0,
      backupEligibility: backupEligible,
      backupState,
    },
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
  const record = { id: id.toString('base64url'), publicKey: new Uint8Array(cose), counter: 0, transports: ['internal'], user };
  rp.users.set(username, user);
  rp.credentials.set(record.id, record);
  user.credentials.push(record);
  return record.id;
}

describe('get() falls back to the browser', { timeout: 240_000 }, () => {
  let session, rp, page, authenticator;
  let erin, frank;

  const recorded = async (worker) =>
    (await (worker ?? (await session.worker())).evaluate(() => chrome.storage.local.get('browserPasskeys'))).browserPasskeys ?? [];

  before(async () => {
    rp = await startRpServer();
    session = await launchKeyplace();
    await session.worker();
    page = await session.newPage(rp.url('/'));
    authenticator = await virtualAuthenticator(page);
    erin = await preexistingPasskey(authenticator, rp, { username: 'erin', resident: true, backupEligible: true, backupState: true });
    frank = await preexistingPasskey(authenticator, rp, { username: 'frank', resident: false, backupEligible: false, backupState: false });
  });
  after(async () => {
    await session?.close();
    await rp?.close();
  });

  it('foreign-only allowCredentials never opens the window; the virtual authenticator answers and the RP verifies', async () => {
    const { result, consentPages } = await withoutWindow(session.context, page, () =>
      kp.login({ username: 'erin', allowCredentials: 'user', userVerification: 'required' }),
    );
    assert.deepEqual(consentPages, []);
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.credentialId, erin);
    assert.equal(result.userVerified, true);
  });

  it('a Browser-path sign-in with a credential Keyplace had not seen is recorded, with a location from its flags', async () => {
    const record = await until('erin\'s passkey to be recorded', async () => (await recorded()).find((p) => p.credentialId === erin));
    assert.equal(record.rpId, 'localhost');
    assert.equal(record.seenAt, 'sign-in');
    assert.deepEqual({ be: record.backupEligible, bs: record.backupState, attachment: record.attachment }, { be: true, bs: true, attachment: 'platform' });
    assert.equal(record.aaguid, null, 'assertions carry no AAGUID');
    // Public facts only: nothing that looks like key material or the signature.
    assert.deepEqual(Object.keys(record).sort(), [
      'aaguid', 'attachment', 'backupEligible', 'backupState', 'createdAt', 'credentialId', 'lastUsedAt', 'location',
      'rpId', 'seenAt', 'signCount', 'transports', 'userName',
    ]);

    const popup = await session.newPage(`${EXTENSION_ORIGIN}/popup.html?site=localhost`);
    const item = popup.getByRole('listitem').filter({ hasText: 'Synced passkey provider (synced)' });
    await item.waitFor();
    assert.match(await item.innerText(), /Unknown account/);
    assert.match(await item.innerText(), /sign count [1-9]/);
    await popup.close();
  });

  it('a forged report (wrong rpIdHash) is refused, and the honest report of that request is not taken either', async () => {
    // The page sees the shim's messages, so it can race it with its own report for the same request id.
    const { result } = await withoutWindow(session.context, page, async (id) => {
      const evilHash = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('evil.example')));
      const forged = kp.b64u.encode(new Uint8Array([...evilHash, 0x1d, 0, 0, 0, 9]));
      const onMessage = (e) => {
        if (e.data?.kp === 'kp-res' && e.data.result?.outcome === 'browser') {
          window.postMessage({ kp: 'kp-rec', id: e.data.id, credential: { id, authenticatorData: forged, authenticatorAttachment: 'platform' } }, '*');
          window.removeEventListener('message', onMessage);
        }
      };
      window.addEventListener('message', onMessage);
      return kp.login({ allowCredentials: [id] });
    }, frank);
    assert.equal(result.verified, true, JSON.stringify(result));
    // A later, honest sign-in is recorded: so by then the forged one would have been too, had it been taken.
    const honest = await withoutWindow(session.context, page, (id) => kp.login({ allowCredentials: [id] }), frank);
    assert.equal(honest.result.verified, true, JSON.stringify(honest.result));
    const record = await until('frank\'s passkey to be recorded', async () => (await recorded()).find((p) => p.credentialId === frank));
    assert.equal(record.location, 'Browser or security key (on one device)');
    assert.equal(record.signCount, 2, 'recorded from the second sign-in, not the first');
  });

  it('with the host missing, the browser handles the sign-in; the toolbar button shows "!" and the reason, so does the popup', async () => {
    const manifestPath = path.join(session.dirs.profile, 'NativeMessagingHosts', 'com.keyplace.host.json');
    const manifest = await readFile(manifestPath, 'utf8');
    await unlink(manifestPath);
    // Restart the worker: its open port to the host closes, and the next connectNative finds no host.
    // Playwright keeps one Worker object across a stop/start, so the stop is observed through the
    // ServiceWorker domain's own status updates.
    const cdp = await session.context.newCDPSession(page);
    const stopped = new Promise((resolve) => {
      const onUpdate = ({ versions }) => {
        if (versions.some((v) => v.scriptURL.startsWith(EXTENSION_ORIGIN) && v.runningStatus === 'stopped')) {
          cdp.off('ServiceWorker.workerVersionUpdated', onUpdate);
          resolve();
        }
      };
      cdp.on('ServiceWorker.workerVersionUpdated', onUpdate);
    });
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    await stopped;

    await page.bringToFront();
    const { result, consentPages } = await withoutWindow(session.context, page, () => kp.login({ userVerification: 'required' }));
    assert.deepEqual(consentPages, []);
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.credentialId, erin);

    const badges = async () =>
      (await session.worker()).evaluate(async () => {
        const out = [];
        for (const tab of await chrome.tabs.query({})) {
          out.push({ active: tab.active, text: await chrome.action.getBadgeText({ tabId: tab.id }), title: await chrome.action.getTitle({ tabId: tab.id }) });
        }
        return out;
      });
    const marked = await until('the "!" badge', async () => (await badges()).filter((b) => b.text === '!'));
    assert.equal(marked.length, 1, JSON.stringify(marked));
    assert.equal(marked[0].active, true, 'on the RP page\'s tab');
    const line = marked[0].title;
    assert.match(line, /browser handled this sign-in/);
    assert.match(line, /not installed|keyplace-host install/i);
    assert.doesNotMatch(line, /\n/);

    const popup = await session.newPage(`${EXTENSION_ORIGIN}/popup.html?site=localhost`);
    const notice = popup.locator('#notice');
    await notice.waitFor();
    assert.equal((await notice.innerText()).trim(), line);
    // Still useful without its host: the passkeys Keyplace recorded are listed.
    await popup.getByRole('listitem').filter({ hasText: 'Synced passkey provider (synced)' }).waitFor();
    await popup.close();

    // The host is back: the next sign-in reaches it and the notice goes away.
    await writeFile(manifestPath, manifest);
    await page.bringToFront();
    const again = await withoutWindow(session.context, page, () => kp.login({}));
    assert.equal(again.result.verified, true, JSON.stringify(again.result));
    await until('the badge to clear', async () => (await badges()).every((b) => b.text === ''));
  });
});
