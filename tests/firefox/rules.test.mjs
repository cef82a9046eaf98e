// Firefox: site rules set in the options page (moz-extension://<uuid>/options.html) or by "Always use this
// for <site>" in the Keyplace window, applied at the next registration. One Firefox for the file; the RP
// (@simplewebauthn/server) verifies every passkey. Hardware is unavailable on purpose (the host is pointed
// at a TPM that does not exist), so the chooser's Vault is the first available place.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { By, Select } from 'selenium-webdriver';
import { launchFirefox, firefoxUnavailable, FIREFOX_VIRTUAL_AAGUID } from '../support/firefox.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const VAULT_AAGUID = '62ee5665-1fea-485b-9a24-9ccac93787c2';
const PIN = '731946';
const SITE = 'localhost';

describe('Firefox: site rules', { timeout: 300_000, skip: firefoxUnavailable() ?? false }, () => {
  let ff, rp, page, options;

  /** What the extension has stored, read in the options page (an extension page: it has `browser.storage`). */
  const stored = () => ff.inPage(options, () => browser.storage.local.get(['siteRules', 'settings']));
  const rules = async () => (await stored()).siteRules ?? {};

  /** Waits (every 50 ms) for a condition; leaves the options page current. */
  const until = (what, check, timeout = 15_000) => ff.driver.wait(check, timeout, `timed out waiting for ${what}`, 50);

  const ruleStored = (choice) => until(`the rule ${SITE} = ${choice} in storage`, async () => (await rules())[SITE] === choice);
  const ruleGone = () => until(`no rule for ${SITE} in storage`, async () => !(SITE in (await rules())));

  /** The options page's status line says `text` (a substring). */
  const status = (text) =>
    until(`the status "${text}"`, async () => {
      await ff.switchTo(options);
      return (await ff.driver.findElement(By.css('[role=status]')).getText()).includes(text);
    });

  /** The rule row's combobox (named by its site header), or null when the row is gone. */
  const ruleRow = async () => (await ff.findByName('combobox', SITE))[0] ?? null;

  async function addRule(choice) {
    await ff.switchTo(options);
    await ff.fill('Site', SITE);
    await new Select(await ff.byName('combobox', 'Where passkeys go')).selectByValue(choice);
    await (await ff.byName('button', 'Add rule')).click();
    await ruleStored(choice);
    await status(`Saved: passkeys for ${SITE}`);
    await until('the rule row', async () => (await ruleRow())?.getProperty('value').then((v) => v === choice));
  }

  async function changeRule(choice) {
    await ff.switchTo(options);
    await new Select(await ff.byName('combobox', SITE)).selectByValue(choice);
    await ruleStored(choice);
    await status(`Saved: passkeys for ${SITE}`);
  }

  async function removeRule() {
    await ff.switchTo(options);
    await (await ff.byName('button', `Remove rule for ${SITE}`)).click();
    await ruleGone();
    await status(`Removed the rule for ${SITE}`);
    await until('the rule row to go', async () => (await ruleRow()) === null);
  }

  /** How many radios of each place the current (consent) window shows. */
  const radios = async () => ({
    hardware: (await ff.findByName('radio', /^Hardware/)).length,
    vault: (await ff.findByName('radio', /^Vault/)).length,
    browser: (await ff.findByName('radio', /^Browser/)).length,
  });
  const windowText = async () => ff.driver.findElement(By.css('body')).getText();

  /**
   * Runs fn in the page and waits for it while only listing window handles: no switching to other
   * windows, which would take the focus Firefox requires for its own WebAuthn. Returns the page's result
   * and the URLs of any window that appeared meanwhile.
   */
  async function withNoNewWindow(fn, arg) {
    const before = new Set(await ff.driver.getAllWindowHandles());
    const call = await ff.startInPage(page, fn, arg);
    const appeared = new Set();
    let result;
    await ff.driver.wait(
      async () => {
        for (const handle of await ff.driver.getAllWindowHandles()) if (!before.has(handle)) appeared.add(handle);
        result = await ff.peek(call);
        return result !== undefined;
      },
      60_000,
      'the page call did not settle',
      50,
    );
    for (const handle of await ff.driver.getAllWindowHandles()) if (!before.has(handle)) appeared.add(handle);
    const urls = [];
    for (const handle of appeared) urls.push((await ff.urlOf(handle)) ?? '(closed)');
    await ff.switchTo(page);
    return { result, newWindows: urls };
  }

  before(async () => {
    rp = await startRpServer();
    ff = await launchFirefox({ env: { KEYPLACE_TPM_TCTI: 'device:/nonexistent/keyplace-test-tpm' } });
    page = await ff.openPage(rp.url('/'));
    await ff.addVirtualAuthenticator();
    options = await ff.openExtensionPage('options.html');
    await until('the options page to be ready', async () => (await ff.driver.findElements(By.css('body[data-ready="true"]'))).length === 1, 30_000);
  });
  after(async () => {
    await ff?.close();
    await rp?.close();
  });

  it('a Vault rule set in the options page: the window offers only Vault with its PIN; the RP verifies', async () => {
    assert.deepEqual(await rules(), {});
    await addRule('vault');

    const { win, call } = await ff.startCeremony(page, () =>
      kp.register({ username: 'dave', userVerification: 'required', residentKey: 'required' }),
    );
    const vault = await ff.byName('radio', /^Vault/);
    assert.deepEqual(await radios(), { hardware: 0, vault: 1, browser: 0 });
    assert.equal(await vault.isSelected(), true);
    await until('the rule line', async () => (await windowText()).includes(`Your rule for ${SITE}: always Vault.`));
    assert.equal((await ff.findByName('checkbox', /^Always use this/)).length, 0);
    assert.equal((await ff.findByName('button', 'Use another device or browser')).length, 0);
    // The vault has no PIN yet: this window asks for a new one, twice.
    await ff.createInVault(win, { account: 'dave', pin: PIN, newPin: true }, page);

    const v = await ff.result(call);
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.aaguid, VAULT_AAGUID);
    assert.equal(v.userVerified, true);
    assert.equal(v.flags.be, true);
    assert.equal(v.clientData.origin, rp.origin);
  });

  it("a Browser rule: no Keyplace window; Firefox's virtual authenticator makes the passkey and the RP verifies it", async () => {
    await changeRule('browser');
    const known = (await ff.virtualCredentials()).length;
    const { result, newWindows } = await withNoNewWindow(() =>
      kp.register({ username: 'erin', userVerification: 'required', residentKey: 'required', attestation: 'direct' }),
    );
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.aaguid, FIREFOX_VIRTUAL_AAGUID);
    assert.equal(result.clientData.origin, rp.origin);
    assert.deepEqual(newWindows, []);
    const stored = await ff.virtualCredentials();
    assert.equal(stored.length, known + 1);
    assert.ok(stored.some((c) => Buffer.from(c.id()).toString('base64url') === result.credentialId));
  });

  it('"Always use this for localhost" in the window saves the rule; the next registration follows it', async () => {
    await removeRule();

    let { win, call } = await ff.startCeremony(page, () => kp.register({ username: 'gina', userVerification: 'required' }));
    await ff.byName('radio', /^Vault/);
    assert.deepEqual(await radios(), { hardware: 1, vault: 1, browser: 1 });
    await ff.check(/^Vault/);
    const always = await ff.byName('checkbox', `Always use this for ${SITE}`);
    await always.click();
    await until('the checkbox to be checked', () => always.isSelected(), 5_000);
    await ff.fill('PIN', PIN);
    await ff.clickAndClose(win, 'Create passkey', page);
    let v = await ff.result(call);
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.aaguid, VAULT_AAGUID);

    await ruleStored('vault');
    // The options page shows it without a reload.
    await until('the options page to show localhost = Vault', async () => {
      await ff.switchTo(options);
      return (await (await ruleRow())?.getProperty('value')) === 'vault';
    });

    ({ win, call } = await ff.startCeremony(page, () => kp.register({ username: 'hank', userVerification: 'required' })));
    await ff.byName('radio', /^Vault/);
    await until('the rule line', async () => (await windowText()).includes(`Your rule for ${SITE}: always Vault.`));
    assert.deepEqual(await radios(), { hardware: 0, vault: 1, browser: 0 });
    await ff.fill('PIN', PIN);
    await ff.clickAndClose(win, 'Create passkey', page);
    v = await ff.result(call);
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.aaguid, VAULT_AAGUID);
  });

  it('removing the rule in the options page brings the chooser back', async () => {
    await removeRule();
    assert.deepEqual(await rules(), {});

    const { win, call } = await ff.startCeremony(page, () => kp.register({ username: 'ivan', userVerification: 'required' }));
    await ff.byName('radio', /^Vault/);
    assert.deepEqual(await radios(), { hardware: 1, vault: 1, browser: 1 });
    assert.doesNotMatch(await windowText(), /Your rule for/);
    assert.equal((await ff.findByName('checkbox', `Always use this for ${SITE}`)).length, 1);
    // Completed (not cancelled), so the RP still judges what the chooser produces.
    await ff.createInVault(win, { account: 'ivan', pin: PIN }, page);
    const v = await ff.result(call);
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.aaguid, VAULT_AAGUID);
    assert.deepEqual(await rules(), {}, 'an unchecked "Always use this" saves no rule');
  });
});
