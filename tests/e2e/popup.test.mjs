// The popup: the current site first, then every site; search; rename and delete with a confirmation that
// says what really happens (a Keyplace passkey is destroyed, a browser one only forgotten). Every
// registration and sign-in is judged by @simplewebauthn/server.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { launchKeyplace, virtualAuthenticator, hostBinary, EXTENSION_ORIGIN } from '../support/browser.mjs';
import { startRpServer } from '../support/rp-server.mjs';
import { startCeremony, createInVault, createInBrowser, withoutWindow } from '../support/consent.mjs';

const PIN = '482913';
const OTHER_SITE = 'shop.example';

/** keyplace-host as a second process on the browser's data dir (as the other browser would be): framed JSON. */
function hostClient(dataDir, home) {
  const child = spawn(hostBinary(), [`${EXTENSION_ORIGIN}/`], {
    env: { ...process.env, HOME: home, KEYPLACE_DATA_DIR: dataDir, KEYPLACE_TPM_TCTI: 'device:/nonexistent/tpmrm0' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let buffer = Buffer.alloc(0);
  const waiting = new Map();
  let next = 1;
  child.stdout.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4 && buffer.length >= 4 + buffer.readUInt32LE(0)) {
      const length = buffer.readUInt32LE(0);
      const answer = JSON.parse(buffer.subarray(4, 4 + length).toString('utf8'));
      buffer = buffer.subarray(4 + length);
      waiting.get(answer.id)?.(answer);
      waiting.delete(answer.id);
    }
  });
  return {
    call(method, params = {}) {
      const id = next++;
      const body = Buffer.from(JSON.stringify({ id, method, params }));
      const header = Buffer.alloc(4);
      header.writeUInt32LE(body.length);
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        child.stdin.write(Buffer.concat([header, body]));
      });
    },
    close: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.stdin.end()))),
  };
}

describe('Popup', { timeout: 240_000 }, () => {
  let session, rp, page, authenticator, host;
  let vaultId, browserId;

  const openPopup = async (site = 'localhost') => {
    const popup = await session.newPage(`${EXTENSION_ORIGIN}/popup.html${site ? `?site=${site}` : ''}`);
    await popup.getByRole('searchbox', { name: 'Search passkeys' }).waitFor();
    await popup.locator('#sites li').first().waitFor();
    return popup;
  };
  const item = (popup, text) => popup.getByRole('listitem').filter({ hasText: text });
  const hostNames = async () => (await host.call('list', { rp_id: 'localhost' })).result.credentials.map((c) => c.user_name);

  before(async () => {
    rp = await startRpServer();
    session = await launchKeyplace();
    await session.worker();
    page = await session.newPage(rp.url('/'));
    authenticator = await virtualAuthenticator(page);
    host = hostClient(session.dirs.data, session.dirs.home);
  });
  after(async () => {
    await host?.close();
    await session?.close();
    await rp?.close();
  });

  it('registers a vault passkey and a Browser-path one; the RP verifies both', async () => {
    const vault = await startCeremony(session.context, page, () => kp.register({ username: 'alice', userVerification: 'required' }));
    await createInVault(vault.win, { account: 'alice', pin: PIN, newPin: true });
    const v1 = await vault.result;
    assert.equal(v1.verified, true, JSON.stringify(v1));
    vaultId = v1.credentialId;

    const browser = await startCeremony(session.context, page, () => kp.register({ username: 'carol', residentKey: 'required' }));
    await createInBrowser(browser.win);
    const v2 = await browser.result;
    assert.equal(v2.verified, true, JSON.stringify(v2));
    browserId = v2.credentialId;

    // A passkey for another site, made by the host itself (as the other browser could have).
    const other = await host.call('create', {
      store: 'vault',
      rp_id: OTHER_SITE,
      user: { id: Buffer.from('dave').toString('base64url'), name: 'dave', display_name: 'Dave' },
      pin: PIN,
      resident_key: true,
      require_user_verification: false,
    });
    assert.equal(other.result?.store, 'vault', JSON.stringify(other));
  });

  it('shows this site first, then every other site, each row with where, created, last used and sign count', async () => {
    const popup = await openPopup('localhost');
    const headings = await popup.locator('#sites').getByRole('heading').allInnerTexts();
    assert.deepEqual(headings, ['This site: localhost', 'Other sites', OTHER_SITE]);
    const thisSite = popup.getByRole('region', { name: 'This site: localhost' });
    await item(thisSite, 'carol').waitFor(); // the Browser-path record arrives after the page's create() resolved
    const alice = item(thisSite, 'alice');
    assert.match(await alice.innerText(), /Keyplace vault on this computer/);
    assert.match(await alice.innerText(), /Created .+ · never used here · sign count 0/);
    assert.equal(await alice.locator('.location svg[aria-hidden="true"]').count(), 1);
    const carol = item(thisSite, 'carol');
    assert.match(await carol.innerText(), /\((this device only|may be synced|synced)\)/);
    assert.doesNotMatch(await carol.innerText(), /Keyplace vault/);
    assert.equal(await carol.locator('.location svg[aria-hidden="true"]').count(), 1);
    assert.equal(await item(thisSite, 'dave').count(), 0, 'another site is not "this site"');
    // The rule for this site comes from the site rules (rules:get).
    await popup.locator('#rule').waitFor();
    assert.match(await popup.locator('#rule').innerText(), /rule|default/i);

    // Without ?site (a page, not the toolbar): no current site, every site in one list.
    const plain = await openPopup(null);
    assert.deepEqual(await plain.locator('#sites').getByRole('heading').allInnerTexts(), ['All sites', 'localhost', OTHER_SITE]);
    await plain.close();
    await popup.close();
  });

  it('the search box filters by site or account (the host searches, after a pause in typing)', async () => {
    const popup = await openPopup('localhost');
    const search = popup.getByRole('searchbox', { name: 'Search passkeys' });
    const visible = async () => (await popup.locator('#sites li:visible .account').allInnerTexts()).sort();
    // The search answer comes asynchronously (debounced, then the host): wait for what it should show.
    const eventually = async (expected) => {
      const deadline = Date.now() + 5_000;
      let seen;
      while (Date.now() < deadline) {
        seen = await visible();
        if (JSON.stringify(seen) === JSON.stringify(expected)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(seen, expected);
    };
    await item(popup, 'carol').waitFor();
    assert.deepEqual(await visible(), ['alice', 'carol', 'dave']);
    assert.equal(await popup.locator('#count').innerText(), '3 passkeys');
    await search.fill('shop');
    await eventually(['dave']);
    assert.equal(await popup.getByRole('heading', { name: OTHER_SITE }).isVisible(), true);
    await search.fill('CAR');
    await eventually(['carol']);
    assert.equal(await popup.getByRole('heading', { name: OTHER_SITE }).isVisible(), false);
    assert.match(await popup.getByRole('status').filter({ hasText: /match/ }).innerText(), /1 passkey matches/);
    await search.fill('nobody-here');
    await eventually([]);
    await search.fill('');
    await eventually(['alice', 'carol', 'dave']);
    await popup.close();
  });

  it('renames a Keyplace passkey in the host (keyboard only) and a browser one in storage; both persist', async () => {
    const popup = await openPopup('localhost');
    await item(popup, 'carol').waitFor();
    // Keyboard: focus the button, Enter opens the textbox, type, Enter saves.
    await popup.getByRole('button', { name: 'Rename alice' }).focus();
    await popup.keyboard.press('Enter');
    const box = popup.getByRole('textbox', { name: 'New name for alice' });
    await box.waitFor();
    assert.equal(await box.evaluate((el) => el === document.activeElement), true);
    await popup.keyboard.press('Control+A');
    await popup.keyboard.type('alice (work)');
    await popup.keyboard.press('Enter');
    await popup.getByRole('button', { name: 'Rename alice (work)' }).waitFor();
    // Focus goes back to the row's Rename button.
    assert.equal(await popup.getByRole('button', { name: 'Rename alice (work)' }).evaluate((el) => el === document.activeElement), true);

    // An empty name is refused where it is typed; Cancel (or Escape) leaves the name as it was.
    await popup.getByRole('button', { name: 'Rename carol' }).click();
    const carolBox = popup.getByRole('textbox', { name: 'New name for carol' });
    await carolBox.fill('   ');
    await popup.getByRole('button', { name: 'Save' }).click();
    assert.match(await popup.getByRole('alert').filter({ hasText: /\S/ }).innerText(), /1 to 64 characters/);
    await popup.getByRole('button', { name: 'Cancel' }).click();
    await popup.getByRole('button', { name: 'Rename carol' }).waitFor();
    await popup.getByRole('button', { name: 'Rename carol' }).click();
    await carolBox.fill('carol phone');
    await popup.getByRole('button', { name: 'Save' }).click();
    await popup.getByRole('button', { name: 'Rename carol phone' }).waitFor();
    await popup.close();

    const again = await openPopup('localhost');
    await item(again, 'alice (work)').waitFor();
    await item(again, 'carol phone').waitFor();
    assert.equal(await again.getByRole('listitem').filter({ hasText: /^alice$/ }).count(), 0);
    await again.close();
    assert.deepEqual(await hostNames(), ['alice (work)']);
  });

  it('deletes a Keyplace passkey after a confirmation: the host no longer has it and the RP sign-in no longer finds it', async () => {
    const popup = await openPopup('localhost');
    await item(popup, 'alice (work)').waitFor();
    await popup.getByRole('button', { name: 'Delete alice (work)' }).click();
    const dialog = popup.getByRole('dialog', { name: 'Delete this passkey?' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /is destroyed in the Keyplace vault; localhost will no longer accept it/);
    // "Keep it" keeps it.
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await item(popup, 'alice (work)').count(), 1);
    assert.deepEqual(await hostNames(), ['alice (work)']);
    // Escape keeps it too (keyboard).
    await popup.getByRole('button', { name: 'Delete alice (work)' }).click();
    await dialog.waitFor();
    await popup.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.deepEqual(await hostNames(), ['alice (work)']);

    await popup.getByRole('button', { name: 'Delete alice (work)' }).click();
    await dialog.getByRole('button', { name: 'Delete passkey' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await item(popup, 'alice (work)').waitFor({ state: 'detached' });
    await popup.close();
    assert.deepEqual(await hostNames(), []);

    // A discoverable sign-in: Keyplace has nothing for localhost now, so no window; the browser answers with
    // the only passkey left (carol's, in the virtual authenticator).
    const { result, consentPages } = await withoutWindow(session.context, page, () => kp.login({}));
    assert.deepEqual(consentPages, []);
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.credentialId, browserId);
    assert.notEqual(result.credentialId, vaultId);
  });

  it('forgets a browser passkey after a confirmation: only Keyplace forgets it, the provider still has it', async () => {
    const popup = await openPopup('localhost');
    await item(popup, 'carol phone').waitFor();
    await popup.getByRole('button', { name: 'Forget carol phone' }).click();
    const dialog = popup.getByRole('dialog', { name: 'Forget this passkey?' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /is only forgotten by Keyplace; it still lives at \S/);
    await dialog.getByRole('button', { name: 'Forget passkey' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await item(popup, 'carol phone').waitFor({ state: 'detached' });
    await popup.close();

    // Still in the browser's authenticator, and still signs in (the RP verifies).
    assert.equal((await authenticator.credentials()).length, 1);
    const { result, consentPages } = await withoutWindow(
      session.context,
      page,
      (id) => kp.login({ allowCredentials: [id] }),
      browserId,
    );
    assert.deepEqual(consentPages, []);
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.credentialId, browserId);
  });
});
