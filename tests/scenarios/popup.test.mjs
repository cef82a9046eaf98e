// The popup: the current site first, then every site; search; rename and delete with a confirmation that
// says what really happens (a Keyplace passkey is destroyed, a browser one only forgotten). Every
// registration and sign-in is judged by @simplewebauthn/server.
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBrowser, until } from '../drivers/index.mjs';
import { hostClient } from '../support/host-client.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const PIN = '482913';
const OTHER_SITE = 'shop.example';

// --- read from the popup's DOM (run in the popup) ---
function siteHeadings() {
  return [...document.querySelectorAll('#sites h1, #sites h2, #sites h3, #sites h4, #sites [role=heading]')].filter((h) => h.checkVisibility()).map((h) => h.innerText.trim());
}
/** The rows of the region named `name` (aria-labelledby), with their location icons counted. */
function regionRows(name) {
  const region = [...document.querySelectorAll('section, [role=region]')].find(
    (s) => (s.getAttribute('aria-label') ?? document.getElementById(s.getAttribute('aria-labelledby'))?.textContent ?? '').trim() === name,
  );
  if (!region) return null;
  return [...region.querySelectorAll('li')].map((li) => ({ text: li.innerText, icons: li.querySelectorAll('.location svg[aria-hidden="true"]').length }));
}
function visibleAccounts() {
  return [...document.querySelectorAll('#sites li')].filter((li) => li.checkVisibility()).map((li) => li.querySelector('.account')?.innerText ?? '').sort();
}

forEachBrowser('Popup', { timeout: 300_000 }, (browser) => {
  let driver, rp, page, authenticator, host;
  let vaultId, browserId;

  const openPopup = async (site = 'localhost') => {
    const popup = await driver.openExtensionPage(`popup.html${site ? `?site=${site}` : ''}`);
    await popup.waitFor('searchbox', 'Search passkeys');
    await until('the popup to list passkeys', () => popup.evaluate(() => document.querySelector('#sites li') !== null));
    return popup;
  };
  const items = async (popup, text) => (await popup.texts('listitem')).filter((t) => (typeof text === 'string' ? t.includes(text) : text.test(t)));
  const hasItem = (popup, text) => until(`a row "${text}"`, async () => (await items(popup, text)).length > 0);
  const noItem = (popup, text) => until(`no row "${text}"`, async () => (await items(popup, text)).length === 0);
  const hostNames = async () => (await host.call('list', { rp_id: 'localhost' })).result.credentials.map((c) => c.user_name);

  before(async () => {
    rp = await startRpServer();
    driver = await browser.launch();
    page = await driver.openPage(rp.url('/'));
    authenticator = await driver.addVirtualAuthenticator(page);
    host = hostClient(driver);
  });
  after(async () => {
    await host?.close();
    await driver?.close();
    await rp?.close();
  });

  it('registers a vault passkey and a Browser-path one; the RP verifies both', async () => {
    const vault = await driver.startCeremony(page, () => kp.register({ username: 'alice', userVerification: 'required' }));
    await vault.win.createInVault({ account: 'alice', pin: PIN, newPin: true });
    const v1 = await vault.result;
    assert.equal(v1.verified, true, JSON.stringify(v1));
    vaultId = v1.credentialId;

    const viaBrowser = await driver.startCeremony(page, () => kp.register({ username: 'carol', residentKey: 'required' }));
    await viaBrowser.win.createInBrowser();
    const v2 = await viaBrowser.result;
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
    assert.deepEqual(await popup.evaluate(siteHeadings), ['This site: localhost', 'Other sites', OTHER_SITE]);
    // The Browser-path record arrives after the page's create() resolved.
    const rows = await until('carol under this site', async () => {
      const found = await popup.evaluate(regionRows, 'This site: localhost');
      return found?.some((r) => r.text.includes('carol')) ? found : null;
    });
    const alice = rows.find((r) => r.text.includes('alice'));
    assert.match(alice.text, /Keyplace vault on this computer/);
    assert.match(alice.text, /Created .+ · never used here · sign count 0/);
    assert.equal(alice.icons, 1);
    const carol = rows.find((r) => r.text.includes('carol'));
    assert.match(carol.text, /\((this device only|may be synced|synced)\)/);
    assert.doesNotMatch(carol.text, /Keyplace vault/);
    assert.equal(carol.icons, 1);
    assert.equal(rows.filter((r) => r.text.includes('dave')).length, 0, 'another site is not "this site"');
    // The rule for this site comes from the site rules (rules:get).
    const rule = await until('the rule line', () => popup.evaluate(() => document.querySelector('#rule')?.innerText || null));
    assert.match(rule, /rule|default/i);

    // Without ?site (a page, not the toolbar): no current site, every site in one list.
    const plain = await openPopup(null);
    assert.deepEqual(await plain.evaluate(siteHeadings), ['All sites', 'localhost', OTHER_SITE]);
    await plain.close();
    await popup.close();
  });

  it('the search box filters by site or account (the host searches, after a pause in typing)', async () => {
    const popup = await openPopup('localhost');
    // The search answer comes asynchronously (debounced, then the host): wait for what it should show.
    const eventually = async (expected) => {
      let seen;
      await until(`the list to show ${JSON.stringify(expected)}`, async () => {
        seen = await popup.evaluate(visibleAccounts);
        return JSON.stringify(seen) === JSON.stringify(expected);
      }, 5_000).catch(() => assert.deepEqual(seen, expected));
    };
    await hasItem(popup, 'carol');
    assert.deepEqual(await popup.evaluate(visibleAccounts), ['alice', 'carol', 'dave']);
    assert.equal(await popup.evaluate(() => document.querySelector('#count').innerText), '3 passkeys');
    await popup.fill('Search passkeys', 'shop');
    await eventually(['dave']);
    assert.equal(await popup.isVisible('heading', OTHER_SITE), true);
    await popup.fill('Search passkeys', 'CAR');
    await eventually(['carol']);
    assert.equal(await popup.isVisible('heading', OTHER_SITE), false);
    assert.match((await popup.texts('status')).find((t) => /match/.test(t)) ?? '', /1 passkey matches/);
    await popup.fill('Search passkeys', 'nobody-here');
    await eventually([]);
    await popup.fill('Search passkeys', '');
    await eventually(['alice', 'carol', 'dave']);
    await popup.close();
  });

  it('renames a Keyplace passkey in the host (keyboard only) and a browser one in storage; both persist', async () => {
    const popup = await openPopup('localhost');
    await hasItem(popup, 'carol');
    // Keyboard: focus the button, Enter opens the textbox, type, Enter saves.
    await popup.focus('button', 'Rename alice');
    await popup.press('Enter');
    await popup.waitFor('textbox', 'New name for alice');
    assert.equal(await popup.isFocused('textbox', 'New name for alice'), true);
    await popup.press('Control+A');
    await popup.type('alice (work)');
    await popup.press('Enter');
    await popup.waitFor('button', 'Rename alice (work)');
    // Focus goes back to the row's Rename button.
    assert.equal(await popup.isFocused('button', 'Rename alice (work)'), true);

    // An empty name is refused where it is typed; Cancel (or Escape) leaves the name as it was.
    await popup.click('button', 'Rename carol');
    await popup.fill('New name for carol', '   ');
    await popup.click('button', 'Save');
    assert.match(await popup.alertText(), /1 to 64 characters/);
    await popup.click('button', 'Cancel');
    await popup.waitFor('button', 'Rename carol');
    await popup.click('button', 'Rename carol');
    await popup.fill('New name for carol', 'carol phone');
    await popup.click('button', 'Save');
    await popup.waitFor('button', 'Rename carol phone');
    await popup.close();

    const again = await openPopup('localhost');
    await hasItem(again, 'alice (work)');
    await hasItem(again, 'carol phone');
    assert.equal((await items(again, /^alice$/)).length, 0);
    await again.close();
    assert.deepEqual(await hostNames(), ['alice (work)']);
  });

  it('deletes a Keyplace passkey after a confirmation: the host no longer has it and the RP sign-in no longer finds it', async () => {
    const popup = await openPopup('localhost');
    await hasItem(popup, 'alice (work)');
    await popup.click('button', 'Delete alice (work)');
    await popup.waitFor('dialog', 'Delete this passkey?');
    const dialogText = () => popup.evaluate(() => document.querySelector('dialog[open]')?.innerText ?? '');
    assert.match(await dialogText(), /is destroyed in the Keyplace vault; localhost will no longer accept it/);
    // "Keep it" keeps it.
    await popup.click('button', 'Keep it');
    await popup.waitFor('dialog', 'Delete this passkey?', { state: 'hidden' });
    assert.equal((await items(popup, 'alice (work)')).length, 1);
    assert.deepEqual(await hostNames(), ['alice (work)']);
    // Escape keeps it too (keyboard).
    await popup.click('button', 'Delete alice (work)');
    await popup.waitFor('dialog', 'Delete this passkey?');
    await popup.press('Escape');
    await popup.waitFor('dialog', 'Delete this passkey?', { state: 'hidden' });
    assert.deepEqual(await hostNames(), ['alice (work)']);

    await popup.click('button', 'Delete alice (work)');
    await popup.waitFor('dialog', 'Delete this passkey?');
    await popup.click('button', 'Delete passkey');
    await popup.waitFor('dialog', 'Delete this passkey?', { state: 'hidden' });
    await noItem(popup, 'alice (work)');
    await popup.close();
    assert.deepEqual(await hostNames(), []);

    // A discoverable sign-in: Keyplace has nothing for localhost now, so no window; the browser answers with
    // the only passkey left (carol's, in the virtual authenticator).
    const { result, consentWindows } = await driver.withoutWindow(page, () => kp.login({}));
    assert.deepEqual(consentWindows, []);
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.credentialId, browserId);
    assert.notEqual(result.credentialId, vaultId);
  });

  it('forgets a browser passkey after a confirmation: only Keyplace forgets it, the provider still has it', async () => {
    const popup = await openPopup('localhost');
    await hasItem(popup, 'carol phone');
    await popup.click('button', 'Forget carol phone');
    await popup.waitFor('dialog', 'Forget this passkey?');
    assert.match(await popup.evaluate(() => document.querySelector('dialog[open]')?.innerText ?? ''), /is only forgotten by Keyplace; it still lives at \S/);
    await popup.click('button', 'Forget passkey');
    await popup.waitFor('dialog', 'Forget this passkey?', { state: 'hidden' });
    await noItem(popup, 'carol phone');
    await popup.close();

    // Still in the browser's authenticator, and still signs in (the RP verifies).
    assert.equal((await authenticator.credentialIds()).length, 1);
    const { result, consentWindows } = await driver.withoutWindow(page, (id) => kp.login({ allowCredentials: [id] }), browserId);
    assert.deepEqual(consentWindows, []);
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.credentialId, browserId);
  });
});
