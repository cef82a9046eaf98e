// Site rules, the default choice and the vault lock time: set in the options page (or by "Always use this"
// in the Keyplace window) and applied at the next registration. The RP (@simplewebauthn/server) verifies
// every passkey; Hardware is unavailable here on purpose (the host is pointed at a TPM that does not exist).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { launchKeyplace, virtualAuthenticator, firstRunPage, EXTENSION_ORIGIN } from '../support/browser.mjs';
import { startRpServer } from '../support/rp-server.mjs';
import { startCeremony, withoutWindow, clickAndClose, cancel, pinField, confirmPinField } from '../support/consent.mjs';

const VAULT_AAGUID = '62ee5665-1fea-485b-9a24-9ccac93787c2';
const PIN = '731946';
const AXE_SOURCE = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core finds nothing in the light and the dark theme (evaluated over CDP, so CSP does not block it). */
async function assertAccessible(page, what) {
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    await page.evaluate(AXE_SOURCE);
    const { violations } = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ['violations'] }));
    assert.deepEqual(violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), [], `${what} (${colorScheme})`);
  }
  await page.emulateMedia({ colorScheme: null });
}

/** Waits for a condition (checked again every 50 ms), never for a fixed time. */
async function until(what, check, { timeout = 15_000 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Site rules and settings', { timeout: 300_000 }, () => {
  let session, rp, page, options, authenticator, worker;

  /** What the extension has stored, read from its service worker. */
  const stored = () => worker.evaluate(() => chrome.storage.local.get(['siteRules', 'settings']));
  const ruleStored = (site, choice) =>
    until(`rule ${site}=${choice}`, async () => ((await stored()).siteRules ?? {})[site] === choice);
  const ruleGone = (site) => until(`no rule for ${site}`, async () => !(site in ((await stored()).siteRules ?? {})));
  const status = (text) => options.getByRole('status').filter({ hasText: text }).waitFor();

  async function addRule(site, choice) {
    await options.getByRole('textbox', { name: 'Site' }).fill(site);
    await options.getByRole('combobox', { name: 'Where passkeys go' }).selectOption(choice);
    await options.getByRole('button', { name: 'Add rule' }).click();
    await ruleStored(site, choice);
    await status(`Saved: passkeys for ${site}`);
    await options.getByRole('combobox', { name: site, exact: true }).waitFor();
  }

  async function changeRule(site, choice) {
    await options.getByRole('combobox', { name: site, exact: true }).selectOption(choice);
    await ruleStored(site, choice);
    await status(`Saved: passkeys for ${site}`);
  }

  async function removeRule(site) {
    await options.getByRole('button', { name: `Remove rule for ${site}` }).click();
    await ruleGone(site);
    await status(`Removed the rule for ${site}`);
    await options.getByRole('combobox', { name: site, exact: true }).waitFor({ state: 'detached' });
  }

  async function setDefault(choice) {
    await options.getByRole('combobox', { name: 'Default choice' }).selectOption(choice);
    await until(`default ${choice}`, async () => (await stored()).settings?.defaultChoice === choice);
    await status('Saved: default choice');
  }

  const radios = async (win) => ({
    hardware: await win.getByRole('radio', { name: /^Hardware/ }).count(),
    vault: await win.getByRole('radio', { name: /^Vault/ }).count(),
    browser: await win.getByRole('radio', { name: /^Browser/ }).count(),
  });

  before(async () => {
    rp = await startRpServer();
    session = await launchKeyplace({ env: { KEYPLACE_TPM_TCTI: 'device:/nonexistent/keyplace-test-tpm' }, keepWelcome: true });
    worker = await session.worker();
  });
  after(async () => {
    await session?.close();
    await rp?.close();
  });

  it('opens the first-run page on install: three places, with a picture', async () => {
    const welcome = await firstRunPage(session.context);
    await welcome.getByRole('heading', { name: 'Welcome to Keyplace' }).waitFor();
    await welcome.getByRole('img', { name: 'Three places a passkey can live' }).waitFor();
    for (const name of ['Hardware', 'Vault', 'Browser']) {
      await welcome.getByRole('heading', { name, exact: true }).waitFor();
    }
    const text = await welcome.locator('main').innerText();
    assert.match(text, /cannot be copied/i);
    assert.match(text, /back it up on purpose/i);
    assert.match(text, /whoever takes over/i);
    await assertAccessible(welcome, 'first-run page');
    await welcome.close();

    options = await session.newPage(`${EXTENSION_ORIGIN}/options.html`);
    await options.locator('body[data-ready="true"]').waitFor();
    page = await session.newPage(rp.url('/'));
    authenticator = await virtualAuthenticator(page);
  });

  it('a Vault rule: the window offers only Vault with its PIN, and the RP verifies the passkey', async () => {
    await addRule('localhost', 'vault');
    await page.bringToFront();
    const { win, result } = await startCeremony(session.context, page, () =>
      kp.register({ username: 'dave', userVerification: 'required', residentKey: 'required' }),
    );
    await win.getByRole('radio', { name: /^Vault/ }).waitFor();
    assert.deepEqual(await radios(win), { hardware: 0, vault: 1, browser: 0 });
    assert.equal(await win.getByRole('radio', { name: /^Vault/ }).isChecked(), true);
    await win.getByText('Your rule for localhost: always Vault.').waitFor();
    assert.equal(await win.getByRole('checkbox', { name: /^Always use this/ }).count(), 0);
    assert.equal(await win.getByRole('button', { name: 'Use another device or browser' }).count(), 0);
    // The vault has no PIN yet: choose one.
    await pinField(win).fill(PIN);
    await confirmPinField(win).fill(PIN);
    await win.getByRole('textbox', { name: 'Account name' }).fill('dave');
    await clickAndClose(win, win.getByRole('button', { name: 'Create passkey' }));
    const v = await result;
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.aaguid, VAULT_AAGUID);
    assert.equal(v.userVerified, true);
    assert.equal(v.flags.be, true);
  });

  it('a Browser rule: no Keyplace window; Chromium\'s authenticator makes the passkey and the RP verifies it', async () => {
    await changeRule('localhost', 'browser');
    await page.bringToFront();
    const before = (await authenticator.credentials()).length;
    const { result, consentPages } = await withoutWindow(session.context, page, () =>
      kp.register({ username: 'erin', userVerification: 'required', residentKey: 'required' }),
    );
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.notEqual(result.aaguid, VAULT_AAGUID);
    assert.deepEqual(consentPages, []);
    const after = await authenticator.credentials();
    assert.equal(after.length, before + 1);
    assert.ok(after.some((c) => Buffer.from(c.credentialId, 'base64').toString('base64url') === result.credentialId));
  });

  it('a Hardware rule without a TPM: the window says Hardware is unavailable and offers nothing else', async () => {
    await changeRule('localhost', 'hardware');
    await page.bringToFront();
    const { win, result } = await startCeremony(session.context, page, () => kp.register({ username: 'frank' }));
    const alert = win.getByRole('alert').filter({ hasText: 'Hardware is unavailable' });
    await alert.waitFor();
    assert.match(await alert.innerText(), /allows only Hardware/);
    await win.getByText('Your rule for localhost: always Hardware.').waitFor();
    assert.deepEqual(await radios(win), { hardware: 1, vault: 0, browser: 0 });
    assert.equal(await win.getByRole('radio', { name: /^Hardware/ }).isDisabled(), true);
    assert.equal(await win.getByRole('button', { name: 'Create passkey' }).count(), 0);
    assert.equal(await win.getByRole('button', { name: 'Use another device or browser' }).count(), 0);
    assert.equal(await win.getByRole('checkbox').count(), 0);
    assert.equal(await pinField(win).isVisible(), false);
    await assertAccessible(win, 'window under an unavailable Hardware rule');
    await cancel(win);
    const v = await result;
    assert.equal(v.error?.name, 'NotAllowedError', JSON.stringify(v));
    assert.equal((await authenticator.credentials()).length, 1, 'nothing went to the browser');
  });

  it('"Always use this for localhost" saves the choice, and the next registration follows it', async () => {
    await removeRule('localhost');
    await page.bringToFront();
    let { win, result } = await startCeremony(session.context, page, () =>
      kp.register({ username: 'gina', userVerification: 'required' }),
    );
    await win.getByRole('radio', { name: /^Vault/ }).waitFor();
    assert.deepEqual(await radios(win), { hardware: 1, vault: 1, browser: 1 });
    await win.getByRole('radio', { name: /^Vault/ }).check();
    await win.getByRole('checkbox', { name: 'Always use this for localhost' }).check();
    await pinField(win).fill(PIN);
    await clickAndClose(win, win.getByRole('button', { name: 'Create passkey' }));
    let v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.aaguid, VAULT_AAGUID);
    await ruleStored('localhost', 'vault');
    // The options page shows it at once.
    const row = options.getByRole('combobox', { name: 'localhost', exact: true });
    await row.waitFor();
    await until('the options page to show localhost = vault', async () => (await row.inputValue()) === 'vault');

    ({ win, result } = await startCeremony(session.context, page, () =>
      kp.register({ username: 'hank', userVerification: 'required' }),
    ));
    await win.getByText('Your rule for localhost: always Vault.').waitFor();
    assert.deepEqual(await radios(win), { hardware: 0, vault: 1, browser: 0 });
    await pinField(win).fill(PIN);
    await clickAndClose(win, win.getByRole('button', { name: 'Create passkey' }));
    v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.aaguid, VAULT_AAGUID);
  });

  it('"Always use this" with Browser saves a Browser rule: the next registration opens no window', async () => {
    await removeRule('localhost');
    await page.bringToFront();
    const { win, result } = await startCeremony(session.context, page, () => kp.register({ username: 'ines' }));
    await win.getByRole('radio', { name: /^Browser/ }).check();
    await win.getByRole('checkbox', { name: 'Always use this for localhost' }).check();
    await clickAndClose(win, win.getByRole('button', { name: 'Create passkey' }));
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.notEqual(v.aaguid, VAULT_AAGUID);
    await ruleStored('localhost', 'browser');

    const next = await withoutWindow(session.context, page, () => kp.register({ username: 'ines2' }));
    assert.equal(next.result.verified, true, JSON.stringify(next.result));
    assert.deepEqual(next.consentPages, []);
  });

  it('the default choice is honoured for sites without a rule', async () => {
    await removeRule('localhost');

    await setDefault('browser');
    await page.bringToFront();
    const count = (await authenticator.credentials()).length;
    const viaBrowser = await withoutWindow(session.context, page, () => kp.register({ username: 'jane' }));
    assert.equal(viaBrowser.result.verified, true, JSON.stringify(viaBrowser.result));
    assert.deepEqual(viaBrowser.consentPages, []);
    assert.equal((await authenticator.credentials()).length, count + 1);

    await setDefault('vault');
    await page.bringToFront();
    let { win, result } = await startCeremony(session.context, page, () => kp.register({ username: 'kim', userVerification: 'required' }));
    await win.getByText('Your default choice: always Vault.').waitFor();
    assert.deepEqual(await radios(win), { hardware: 0, vault: 1, browser: 0 });
    await pinField(win).fill(PIN);
    await clickAndClose(win, win.getByRole('button', { name: 'Create passkey' }));
    let v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.aaguid, VAULT_AAGUID);

    // A default whose store is unavailable is a preference, not a promise: the full chooser, with a notice.
    await setDefault('hardware');
    await page.bringToFront();
    ({ win, result } = await startCeremony(session.context, page, () => kp.register({ username: 'lee' })));
    await win.getByText(/Your default choice, Hardware, is unavailable/).waitFor();
    assert.deepEqual(await radios(win), { hardware: 1, vault: 1, browser: 1 });
    await cancel(win);
    v = await result;
    assert.equal(v.error?.name, 'NotAllowedError', JSON.stringify(v));

    await setDefault('ask');
    ({ win, result } = await startCeremony(session.context, page, () => kp.register({ username: 'max' })));
    await win.getByRole('radio', { name: /^Vault/ }).waitFor();
    assert.deepEqual(await radios(win), { hardware: 1, vault: 1, browser: 1 });
    await cancel(win);
    assert.equal((await result).error?.name, 'NotAllowedError');
  });

  it('the vault lock time goes to the host: "Every use" makes the vault ask for its PIN again', async () => {
    await options.bringToFront();
    await options.getByRole('combobox', { name: 'Lock the vault after' }).selectOption('0');
    await status('Saved: the vault asks for its PIN at every use.');
    // Read back from the host (settings:get asks it) after a reload.
    await options.reload();
    await options.locator('body[data-ready="true"]').waitFor();
    assert.equal(await options.getByRole('combobox', { name: 'Lock the vault after' }).inputValue(), '0');

    await addRule('localhost', 'vault');
    await page.bringToFront();
    // Just unlocked by a correct PIN, and UV only preferred: still the PIN, because the vault never stays open.
    const { win, result } = await startCeremony(session.context, page, () => kp.register({ username: 'nina', userVerification: 'preferred' }));
    await pinField(win).waitFor();
    assert.equal(await confirmPinField(win).isVisible(), false);
    await pinField(win).fill(PIN);
    await clickAndClose(win, win.getByRole('button', { name: 'Create passkey' }));
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));

    await options.bringToFront();
    await options.getByRole('combobox', { name: 'Lock the vault after' }).selectOption('300');
    await status('Saved: the vault locks after 5 minutes.');
  });

  it('rules:get finds an exact RP ID rule first, else the registrable domain\'s (Public Suffix List)', async () => {
    await addRule('bank.co.uk', 'hardware');
    // Typed as a URL: kept as the exact RP ID.
    await options.getByRole('textbox', { name: 'Site' }).fill('https://Login.Bank.co.uk/path');
    await options.getByRole('combobox', { name: 'Where passkeys go' }).selectOption('browser');
    await options.getByRole('button', { name: 'Add rule' }).click();
    await ruleStored('login.bank.co.uk', 'browser');
    await status('Saved: passkeys for login.bank.co.uk');
    await assertAccessible(options, 'options page with rules');
    const ask = (site) => options.evaluate((s) => chrome.runtime.sendMessage({ type: 'rules:get', site: s }), site);
    assert.deepEqual(await ask('login.bank.co.uk'), { ok: true, value: { site: 'bank.co.uk', choice: 'browser', ruleSite: 'login.bank.co.uk' } });
    assert.deepEqual(await ask('a.b.bank.co.uk'), { ok: true, value: { site: 'bank.co.uk', choice: 'hardware', ruleSite: 'bank.co.uk' } });
    assert.deepEqual(await ask('other.co.uk'), { ok: true, value: { site: 'other.co.uk', choice: 'ask', ruleSite: null } });
    assert.equal((await ask('127.0.0.1')).ok, false);
    // A bad site in the form is refused with a reason, and nothing is stored.
    await options.getByRole('textbox', { name: 'Site' }).fill('10.0.0.1');
    await options.getByRole('button', { name: 'Add rule' }).click();
    await options.getByRole('alert').filter({ hasText: 'not a site name' }).waitFor();
    assert.equal('10.0.0.1' in (await stored()).siteRules, false);
    const settings = await options.evaluate(() => chrome.runtime.sendMessage({ type: 'settings:get' }));
    assert.equal(settings.defaultChoice, 'ask');
    assert.equal(settings.vaultLockSeconds, 300);
  });
});
