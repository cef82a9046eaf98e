// Site rules, the default choice and the vault lock time: set in the options page (or by "Always use this"
// in the Keyplace window) and applied at the next registration. The RP (@simplewebauthn/server) verifies
// every passkey; Hardware is unavailable here on purpose (the host is pointed at a TPM that does not exist).
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBrowser, until } from '../drivers/index.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const VAULT_AAGUID = '62ee5665-1fea-485b-9a24-9ccac93787c2';
const PIN = '731946';

/** axe-core finds nothing in the light and the dark theme. */
async function assertAccessible(surface, what) {
  for (const scheme of ['light', 'dark']) {
    await surface.colorScheme(scheme);
    assert.deepEqual(await surface.axeViolations(), [], `${what} (${scheme})`);
  }
  await surface.colorScheme(null);
}

forEachBrowser('Site rules and settings', { timeout: 400_000 }, (browser) => {
  let driver, rp, page, options, authenticator;

  /** What the extension has stored, read in the options page (an extension page). */
  const stored = () => options.evaluate(() => (globalThis.browser ?? chrome).storage.local.get(['siteRules', 'settings']));
  const ruleStored = (site, choice) => until(`rule ${site}=${choice}`, async () => (await stored()).siteRules?.[site] === choice);
  const ruleGone = (site) => until(`no rule for ${site}`, async () => !(site in ((await stored()).siteRules ?? {})));
  const status = (text) => options.waitForTextIn('status', text);
  const optionsReady = () => until('the options page to be ready', () => options.evaluate(() => document.body.dataset.ready === 'true'), 30_000);

  async function addRule(site, choice) {
    await options.fill('Site', site);
    await options.select('Where passkeys go', choice);
    await options.click('button', 'Add rule');
    await ruleStored(site, choice);
    await status(`Saved: passkeys for ${site}`);
    await options.waitFor('combobox', site);
  }

  async function changeRule(site, choice) {
    await options.select(site, choice);
    await ruleStored(site, choice);
    await status(`Saved: passkeys for ${site}`);
  }

  async function removeRule(site) {
    await options.click('button', `Remove rule for ${site}`);
    await ruleGone(site);
    await status(`Removed the rule for ${site}`);
    await options.waitFor('combobox', site, { state: 'detached' });
  }

  async function setDefault(choice) {
    await options.select('Default choice', choice);
    await until(`default ${choice}`, async () => (await stored()).settings?.defaultChoice === choice);
    await status('Saved: default choice');
  }

  const radios = async (win) => ({
    hardware: await win.count('radio', /^Hardware/),
    vault: await win.count('radio', /^Vault/),
    browser: await win.count('radio', /^Browser/),
  });

  /** Registration through the browser's authenticator: direct attestation in Firefox shows whose it is. */
  const checkBrowserMade = (v) => {
    assert.notEqual(v.aaguid, VAULT_AAGUID);
    if (driver.virtualAuthenticatorAaguid) assert.equal(v.aaguid, driver.virtualAuthenticatorAaguid);
  };

  before(async () => {
    rp = await startRpServer();
    driver = await browser.launch({ env: { KEYPLACE_TPM_TCTI: 'device:/nonexistent/keyplace-test-tpm' }, keepWelcome: true });
  });
  after(async () => {
    await driver?.close();
    await rp?.close();
  });

  it('opens the first-run page on install: three places, with a picture', async () => {
    const welcome = await driver.firstRunPage();
    await welcome.waitFor('heading', /Welcome to Keyplace/i);
    await welcome.waitFor('img', /Three places a passkey can live/i);
    for (const name of ['Hardware', 'Vault', 'Browser']) await welcome.waitFor('heading', name);
    const text = await welcome.evaluate(() => document.querySelector('main').innerText);
    assert.match(text, /cannot be copied/i);
    assert.match(text, /not copied anywhere unless/i);
    assert.match(text, /whoever takes over/i);
    await assertAccessible(welcome, 'first-run page');
    await welcome.close();

    options = await driver.openExtensionPage('options.html');
    await optionsReady();
    assert.deepEqual((await stored()).siteRules ?? {}, {});
    page = await driver.openPage(rp.url('/'));
    authenticator = await driver.addVirtualAuthenticator(page);
  });

  it('a Vault rule: the window offers only Vault with its PIN, and the RP verifies the passkey', async () => {
    await addRule('localhost', 'vault');
    await page.bringToFront();
    const { win, result } = await driver.startCeremony(page, () =>
      kp.register({ username: 'dave', userVerification: 'required', residentKey: 'required' }),
    );
    await win.waitFor('radio', /^Vault/);
    assert.deepEqual(await radios(win), { hardware: 0, vault: 1, browser: 0 });
    assert.equal(await win.isChecked('radio', /^Vault/), true);
    await win.waitForText('Your rule for localhost: always Vault.');
    assert.equal(await win.count('checkbox', /^Always use this/), 0);
    assert.equal(await win.count('button', 'Use another device or browser'), 0);
    // The vault has no PIN yet: choose one.
    await win.fill('PIN', PIN);
    await win.fill('Confirm PIN', PIN);
    await win.fill('Account name', 'dave');
    await win.clickAndClose('Create passkey');
    const v = await result;
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.aaguid, VAULT_AAGUID);
    assert.equal(v.userVerified, true);
    assert.equal(v.flags.be, true);
    assert.equal(v.clientData.origin, rp.origin);
  });

  it("a Browser rule: no Keyplace window; the browser's authenticator makes the passkey and the RP verifies it", async () => {
    await changeRule('localhost', 'browser');
    await page.bringToFront();
    const before = (await authenticator.credentialIds()).length;
    const { result, consentWindows } = await driver.withoutWindow(page, () =>
      kp.register({ username: 'erin', userVerification: 'required', residentKey: 'required', attestation: 'direct' }),
    );
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    assert.equal(result.verified, true, JSON.stringify(result));
    checkBrowserMade(result);
    assert.equal(result.clientData.origin, rp.origin);
    assert.deepEqual(consentWindows, []);
    const after = await authenticator.credentialIds();
    assert.equal(after.length, before + 1);
    assert.ok(after.includes(result.credentialId));
  });

  it('a Hardware rule without a TPM: the window says Hardware is unavailable and offers nothing else', async () => {
    await changeRule('localhost', 'hardware');
    await page.bringToFront();
    const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'frank' }));
    assert.match(await win.alertText('Hardware is unavailable'), /allows only Hardware/);
    await win.waitForText('Your rule for localhost: always Hardware.');
    assert.deepEqual(await radios(win), { hardware: 1, vault: 0, browser: 0 });
    assert.equal(await win.isEnabled('radio', /^Hardware/), false);
    assert.equal(await win.count('button', 'Create passkey'), 0);
    assert.equal(await win.count('button', 'Use another device or browser'), 0);
    assert.equal(await win.count('checkbox'), 0);
    assert.equal(await win.isVisible(null, 'PIN'), false);
    await assertAccessible(win, 'window under an unavailable Hardware rule');
    await win.cancel();
    const v = await result;
    assert.equal(v.error?.name, 'NotAllowedError', JSON.stringify(v));
    assert.equal((await authenticator.credentialIds()).length, 1, 'nothing went to the browser');
  });

  it('"Always use this for localhost" saves the choice, and the next registration follows it', async () => {
    await removeRule('localhost');
    await page.bringToFront();
    let { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'gina', userVerification: 'required' }));
    await win.waitFor('radio', /^Vault/);
    assert.deepEqual(await radios(win), { hardware: 1, vault: 1, browser: 1 });
    await win.check('radio', /^Vault/);
    await win.check('checkbox', 'Always use this for localhost');
    await win.fill('PIN', PIN);
    await win.clickAndClose('Create passkey');
    let v = await result;
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.aaguid, VAULT_AAGUID);
    await ruleStored('localhost', 'vault');
    // The options page shows it at once (no reload).
    await options.waitFor('combobox', 'localhost');
    await until('the options page to show localhost = vault', async () => (await options.value('combobox', 'localhost')) === 'vault');

    ({ win, result } = await driver.startCeremony(page, () => kp.register({ username: 'hank', userVerification: 'required' })));
    await win.waitForText('Your rule for localhost: always Vault.');
    assert.deepEqual(await radios(win), { hardware: 0, vault: 1, browser: 0 });
    await win.fill('PIN', PIN);
    await win.clickAndClose('Create passkey');
    v = await result;
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.aaguid, VAULT_AAGUID);
  });

  it('removing the rule in the options page brings the chooser back', async () => {
    await removeRule('localhost');
    assert.deepEqual((await stored()).siteRules ?? {}, {});
    const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'ivan', userVerification: 'required' }));
    await win.waitFor('radio', /^Vault/);
    assert.deepEqual(await radios(win), { hardware: 1, vault: 1, browser: 1 });
    assert.doesNotMatch(await win.text(), /Your rule for/);
    assert.equal(await win.count('checkbox', 'Always use this for localhost'), 1);
    // Completed (not cancelled), so the RP still judges what the chooser produces.
    await win.createInVault({ account: 'ivan', pin: PIN });
    const v = await result;
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.aaguid, VAULT_AAGUID);
    assert.deepEqual((await stored()).siteRules ?? {}, {}, 'an unchecked "Always use this" saves no rule');
  });

  it('"Always use this" with Browser saves a Browser rule: the next registration opens no window', async () => {
    await page.bringToFront();
    const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'ines', attestation: 'direct' }));
    await win.check('radio', /^Browser/);
    await win.check('checkbox', 'Always use this for localhost');
    await win.clickAndClose('Create passkey');
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    checkBrowserMade(v);
    await ruleStored('localhost', 'browser');

    const next = await driver.withoutWindow(page, () => kp.register({ username: 'ines2' }));
    assert.equal(next.result.verified, true, JSON.stringify(next.result));
    assert.deepEqual(next.consentWindows, []);
  });

  it('the default choice is honoured for sites without a rule', async () => {
    await removeRule('localhost');

    await setDefault('browser');
    await page.bringToFront();
    const count = (await authenticator.credentialIds()).length;
    const viaBrowser = await driver.withoutWindow(page, () => kp.register({ username: 'jane' }));
    assert.equal(viaBrowser.result.verified, true, JSON.stringify(viaBrowser.result));
    assert.deepEqual(viaBrowser.consentWindows, []);
    assert.equal((await authenticator.credentialIds()).length, count + 1);

    await setDefault('vault');
    await page.bringToFront();
    let { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'kim', userVerification: 'required' }));
    await win.waitForText('Your default choice: always Vault.');
    assert.deepEqual(await radios(win), { hardware: 0, vault: 1, browser: 0 });
    await win.fill('PIN', PIN);
    await win.clickAndClose('Create passkey');
    let v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.aaguid, VAULT_AAGUID);

    // A default whose store is unavailable is a preference, not a promise: the full chooser, with a notice.
    await setDefault('hardware');
    await page.bringToFront();
    ({ win, result } = await driver.startCeremony(page, () => kp.register({ username: 'lee' })));
    await win.waitForText(/Your default choice, Hardware, is unavailable/);
    assert.deepEqual(await radios(win), { hardware: 1, vault: 1, browser: 1 });
    await win.cancel();
    v = await result;
    assert.equal(v.error?.name, 'NotAllowedError', JSON.stringify(v));

    await setDefault('ask');
    ({ win, result } = await driver.startCeremony(page, () => kp.register({ username: 'max' })));
    await win.waitFor('radio', /^Vault/);
    assert.deepEqual(await radios(win), { hardware: 1, vault: 1, browser: 1 });
    await win.cancel();
    assert.equal((await result).error?.name, 'NotAllowedError');
  });

  it('the vault lock time goes to the host: "Every use" makes the vault ask for its PIN again', async () => {
    await options.bringToFront();
    await options.select('Lock the vault after', '0');
    await status('Saved: the vault asks for its PIN at every use.');
    // Read back from the host (settings:get asks it) after a reload.
    await options.reload();
    await optionsReady();
    assert.equal(await options.value('combobox', 'Lock the vault after'), '0');

    await addRule('localhost', 'vault');
    await page.bringToFront();
    // Just unlocked by a correct PIN, and UV only preferred: still the PIN, because the vault never stays open.
    const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'nina', userVerification: 'preferred' }));
    await win.waitFor(null, 'PIN');
    assert.equal(await win.isVisible(null, 'Confirm PIN'), false);
    await win.fill('PIN', PIN);
    await win.clickAndClose('Create passkey');
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));

    await options.bringToFront();
    await options.select('Lock the vault after', '300');
    await status('Saved: the vault locks after 5 minutes.');
  });

  it("rules:get finds an exact RP ID rule first, else the registrable domain's (Public Suffix List)", async () => {
    await addRule('bank.co.uk', 'hardware');
    // Typed as a URL: kept as the exact RP ID.
    await options.fill('Site', 'https://Login.Bank.co.uk/path');
    await options.select('Where passkeys go', 'browser');
    await options.click('button', 'Add rule');
    await ruleStored('login.bank.co.uk', 'browser');
    await status('Saved: passkeys for login.bank.co.uk');
    await assertAccessible(options, 'options page with rules');
    const ask = (site) => options.evaluate((s) => (globalThis.browser ?? chrome).runtime.sendMessage({ type: 'rules:get', site: s }), site);
    assert.deepEqual(await ask('login.bank.co.uk'), { ok: true, value: { site: 'bank.co.uk', choice: 'browser', ruleSite: 'login.bank.co.uk' } });
    assert.deepEqual(await ask('a.b.bank.co.uk'), { ok: true, value: { site: 'bank.co.uk', choice: 'hardware', ruleSite: 'bank.co.uk' } });
    assert.deepEqual(await ask('other.co.uk'), { ok: true, value: { site: 'other.co.uk', choice: 'ask', ruleSite: null } });
    assert.equal((await ask('127.0.0.1')).ok, false);
    // A bad site in the form is refused with a reason, and nothing is stored.
    await options.fill('Site', '10.0.0.1');
    await options.click('button', 'Add rule');
    await options.alertText('not a site name');
    assert.equal('10.0.0.1' in (await stored()).siteRules, false);
    const settings = await options.evaluate(() => (globalThis.browser ?? chrome).runtime.sendMessage({ type: 'settings:get' }));
    assert.equal(settings.defaultChoice, 'ask');
    assert.equal(settings.vaultLockSeconds, 300);
  });
});
