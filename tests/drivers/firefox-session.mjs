// Launching Firefox ESR with the Keyplace add-on and native host: selenium-webdriver + geckodriver, a private HOME/TMPDIR/
// KEYPLACE_DATA_DIR per run (given to geckodriver, which Firefox and then the host inherit), the host
// manifest in $HOME/.mozilla/native-messaging-hosts/, the add-on installed as a temporary add-on with a
// fixed internal UUID, and geckodriver started with --allow-system-access so moz-extension:// pages open
// by URL.
//
// WebDriver runs one command at a time, so a page ceremony is started with executeScript that parks the
// page's promise in a window variable and returns at once; the test then drives the consent window (a
// new window handle on /consent.html) by accessible names and collects the page's result afterwards.
// Every wait is for a condition (driver.wait), never a fixed sleep.
import { Builder, By } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import { VirtualAuthenticatorOptions } from 'selenium-webdriver/lib/virtual_authenticator.js';
import { execFile } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, hostBinary } from '../support/build-outputs.mjs';

const run = promisify(execFile);

export const FIREFOX = process.env.KEYPLACE_FIREFOX ?? '/usr/lib/firefox-esr/firefox-esr';
export const GECKODRIVER_VERSION = '0.37.1';
export const FIREFOX_EXTENSION_DIR = path.join(REPO_ROOT, 'extension/dist/firefox');
export const ADDON_ID = 'keyplace@keyplace.dev';
// Fixed with the pref extensions.webextensions.uuids, so extension pages have a known origin.
export const ADDON_UUID = '0d8e6f0a-5c1b-4d4e-9a57-2f1c0b7e4a11';
export const FIREFOX_EXTENSION_ORIGIN = `moz-extension://${ADDON_UUID}`;
/** The AAGUID of Firefox's WebDriver virtual authenticator (recipe). */
export const FIREFOX_VIRTUAL_AAGUID = '68e100a5-0b47-9104-b854-97a9ba510638';

const DEFAULT_TIMEOUT = 30_000;

export function geckodriverPath() {
  if (process.env.KEYPLACE_GECKODRIVER) return path.resolve(process.env.KEYPLACE_GECKODRIVER);
  const cache =
    process.env.KEYPLACE_CACHE_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'keyplace-dev');
  return path.join(cache, `geckodriver-${GECKODRIVER_VERSION}`, 'bin', 'geckodriver');
}

/** Why the Firefox tests cannot run here, or null. For `describe(..., { skip })`. */
export function firefoxUnavailable() {
  if (!existsSync(FIREFOX)) return `Firefox ESR is not at ${FIREFOX} (apt-get install firefox-esr, or set KEYPLACE_FIREFOX)`;
  if (!existsSync(geckodriverPath())) {
    return `geckodriver is not at ${geckodriverPath()} (cargo install geckodriver --version ${GECKODRIVER_VERSION} --locked --root <cache>/geckodriver-${GECKODRIVER_VERSION}, or set KEYPLACE_GECKODRIVER)`;
  }
  return null;
}

export function checkFirefoxBuildOutputs({ host = true } = {}) {
  const missing = [];
  if (!existsSync(path.join(FIREFOX_EXTENSION_DIR, 'manifest.json'))) {
    missing.push(`the Firefox build of the extension: ${FIREFOX_EXTENSION_DIR}/manifest.json (node extension/build.mjs firefox)`);
  }
  if (host && !existsSync(hostBinary())) missing.push(`the native host binary: ${hostBinary()} (or set KEYPLACE_HOST_BIN)`);
  const why = firefoxUnavailable();
  if (why) missing.push(why);
  if (missing.length) {
    throw new Error(`Keyplace Firefox tests need these first (xtask build):\n  - ${missing.join('\n  - ')}`);
  }
}

async function makeDirs(dataDir) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'keyplace-ff-'));
  const dirs = {
    root,
    home: path.join(root, 'home'),
    config: path.join(root, 'home/.config'),
    cache: path.join(root, 'home/.cache'),
    tmp: path.join(root, 'tmp'),
    data: dataDir ?? path.join(root, 'data'),
  };
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
  return dirs;
}

/** `keyplace-host install --browser firefox` with the test's HOME: $HOME/.mozilla/native-messaging-hosts/. */
export async function installFirefoxHost(dirs) {
  const bin = hostBinary();
  try {
    await run(bin, ['install', '--browser', 'firefox'], {
      env: { ...process.env, HOME: dirs.home, XDG_CONFIG_HOME: dirs.config, KEYPLACE_DATA_DIR: dirs.data },
      timeout: 30_000,
    });
  } catch (err) {
    throw new Error(`keyplace-host install --browser firefox failed (${bin}): ${err.stderr || err.message}`);
  }
  const manifestPath = path.join(dirs.home, '.mozilla/native-messaging-hosts/com.keyplace.host.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8').catch(() => 'null'));
  if (!manifest?.allowed_extensions?.includes(ADDON_ID)) {
    throw new Error(`keyplace-host install wrote no manifest allowing ${ADDON_ID} at ${manifestPath}`);
  }
  return manifestPath;
}

/**
 * `testHosts` {names}: these host names resolve to the loopback, and certificate errors are accepted
 * (WebDriver's acceptInsecureCerts) for the test's own HTTPS servers.
 */
export function firefoxOptions(extraPrefs = {}, testHosts = null, headless = true) {
  const options = new firefox.Options().setBinary(FIREFOX);
  if (headless) options.addArguments('-headless');
  const prefs = {
    // performance.now() unclamped (the benchmark and metrics read it).
    'privacy.reduceTimerPrecision': false,
    // A known moz-extension:// origin for the add-on's pages.
    'extensions.webextensions.uuids': JSON.stringify({ [ADDON_ID]: ADDON_UUID }),
    // The browser's own WebAuthn through WebDriver's virtual authenticator (the "Browser" choice).
    'security.webauth.webauthn_enable_softtoken': true,
    'security.webauth.webauthn_enable_usbtoken': false,
    'security.webauthn.always_allow_direct_attestation': true,
  };
  if (testHosts) {
    prefs['network.dns.localDomains'] = testHosts.names.join(',');
    options.setAcceptInsecureCerts(true);
  }
  for (const [name, value] of Object.entries({ ...prefs, ...extraPrefs })) options.setPreference(name, value);
  return options;
}

/**
 * One Firefox with Keyplace installed and its host registered, in fresh temp dirs.
 * `dataDir`: use this KEYPLACE_DATA_DIR (e.g. shared with a Chromium) instead of a fresh one.
 * `env`: more environment for Firefox and the host (e.g. KEYPLACE_TPM_TCTI).
 * `prefs`: more Firefox prefs (e.g. {'extensions.background.idle.timeout': 1000} for a cold background).
 * `uiLanguage`: the language the add-on's pages use, e.g. 'de'. Firefox ESR here ships en-US only (its
 * res/multilocale.txt), and the intl.locale.requested pref alone leaves the add-on in English (measured), so the
 * language is made available and requested in the browser's chrome context before the add-on is installed (as
 * Firefox's own tests do): the add-on then reads that _locales catalogue; the browser's own UI stays English.
 * Returns a FirefoxSession; close() quits Firefox and deletes the temp dirs (never a given dataDir).
 */
export async function launchFirefox({
  env = {},
  prefs = {},
  dataDir,
  host = true,
  extension = true,
  keepWelcome = false,
  testHosts = null,
  headless = true,
  uiLanguage = null,
} = {}) {
  checkFirefoxBuildOutputs({ host });
  const dirs = await makeDirs(dataDir);
  let driver;
  let logFd = null;
  try {
    if (host) await installFirefoxHost(dirs);
    const childEnv = {
      ...process.env,
      ...env,
      HOME: dirs.home,
      XDG_CONFIG_HOME: dirs.config,
      XDG_CACHE_HOME: dirs.cache,
      TMPDIR: dirs.tmp,
      KEYPLACE_DATA_DIR: dirs.data,
      // headless false: a person's window (xtask/demo.mjs).
      ...(headless ? { MOZ_HEADLESS: '1' } : {}),
    };
    // geckodriver's and Firefox's output (browser console dumps, host stderr) go to a log file, kept
    // where KEYPLACE_FIREFOX_LOG says (else inside the temp dir, deleted with it).
    const logPath = process.env.KEYPLACE_FIREFOX_LOG ?? path.join(dirs.root, 'geckodriver.log');
    logFd = openSync(logPath, 'a');
    const service = new firefox.ServiceBuilder(geckodriverPath())
      .addArguments('--allow-system-access', '--log', process.env.KEYPLACE_FIREFOX_LOG ? 'debug' : 'warn')
      .setEnvironment(childEnv)
      .setStdio(['ignore', logFd, logFd]);
    driver = await new Builder().forBrowser('firefox').setFirefoxOptions(firefoxOptions(prefs, testHosts, headless)).setFirefoxService(service).build();
    const session = new FirefoxSession(driver, dirs, { ownsDataDir: !dataDir, logFd, logPath });
    if (uiLanguage) await session.useLanguage(uiLanguage);
    if (extension) await session.installKeyplace({ keepWelcome });
    return session;
  } catch (err) {
    await driver?.quit().catch(() => {});
    if (logFd !== null) closeSync(logFd);
    await rm(dirs.root, { recursive: true, force: true, maxRetries: 3 });
    throw err;
  }
}

/**
 * The elements matching `selector` that could be visible and could have `name` as their accessible name, found by one
 * script in the page: WebDriver's display, role and name checks (a round trip each, per element) then run on these
 * few instead of on every element of the page. A superset of what those checks accept: hidden only where
 * checkVisibility() says so (display: none above it, which isDisplayed() refuses too), and for a string name every
 * text a name can come from (content, aria-label, aria-labelledby, labels, title, placeholder, alt, value, a
 * fieldset's legend), with white space ignored. A RegExp name is checked by WebDriver alone.
 */
export async function namedCandidates(driver, selector, name) {
  const text = typeof name === 'string' ? name.replace(/\s+/g, '') : null;
  return driver.executeScript(
    (selector, text) => {
      const attributes = ['aria-label', 'title', 'placeholder', 'alt'];
      const sources = (el) => {
        const parts = [el.textContent, typeof el.value === 'string' ? el.value : ''];
        for (const holder of [el, ...el.querySelectorAll('[aria-label], [title], [alt]')])
          for (const a of attributes) parts.push(holder.getAttribute(a));
        for (const id of (el.getAttribute('aria-labelledby') ?? '').split(/\s+/).filter(Boolean))
          parts.push(document.getElementById(id)?.textContent);
        for (const label of el.labels ?? []) parts.push(label.textContent);
        if (el.tagName === 'FIELDSET') parts.push(el.querySelector('legend')?.textContent);
        return parts.join('').replace(/\s+/g, '');
      };
      return [...document.querySelectorAll(selector)].filter(
        (el) => el.checkVisibility() && (text === null || sources(el).includes(text)),
      );
    },
    selector,
    text,
  );
}

const sleepless = (ms) => ms; // documents that numbers below are timeouts for conditions, not sleeps

export class FirefoxSession {
  constructor(driver, dirs, { ownsDataDir, logFd, logPath }) {
    this.driver = driver;
    this.dirs = dirs;
    this.origin = FIREFOX_EXTENSION_ORIGIN;
    this.logPath = logPath;
    this._logFd = logFd;
    this._ownsDataDir = ownsDataDir;
    this._calls = 0;
    this._virtualAuthenticator = false;
  }

  /** Makes `language` available and the one requested (see launchFirefox's uiLanguage); answers the app locale. */
  async useLanguage(language) {
    await this.driver.setContext(firefox.Context.CHROME);
    try {
      const appLocale = await this.driver.executeScript(
        `Services.locale.availableLocales = [...new Set([...Services.locale.availableLocales, arguments[0]])];
         Services.locale.requestedLocales = [arguments[0]];
         return Services.locale.appLocaleAsBCP47;`,
        language,
      );
      if (appLocale !== language) throw new Error(`Firefox did not switch to ${language} (app locale ${appLocale})`);
    } finally {
      await this.driver.setContext(firefox.Context.CONTENT);
    }
  }

  /**
   * Installs the built add-on as a temporary add-on; closes the first-run tab if the build opens one

   * (keepWelcome: leaves it for a test that checks it).
   */
  async installKeyplace({ keepWelcome = false } = {}) {
    const { driver } = this;
    const first = await driver.getWindowHandle();
    const id = await driver.installAddon(FIREFOX_EXTENSION_DIR, true);
    if (id !== ADDON_ID) throw new Error(`installed add-on has id ${id}, expected ${ADDON_ID}`);
    // The background opens welcome.html on install when the build has that behaviour: wait for that tab
    // (a condition, not a delay) and close it, so it can never take focus from a test page later.
    const background = await readFile(path.join(FIREFOX_EXTENSION_DIR, 'background.js'), 'utf8');
    if (background.includes('welcome.html') && !keepWelcome) {
      const welcome = await this.waitForWindow((url) => url.includes('/welcome.html'), { exclude: [first], timeout: 15_000 });
      await driver.switchTo().window(welcome);
      await driver.close();
      await driver.switchTo().window(first);
    }
  }

  /** Navigates the first tab (or a new one with `newTab`) to url; returns its window handle. */
  async openPage(url, { newTab = false } = {}) {
    const { driver } = this;
    if (newTab) await driver.switchTo().newWindow('tab');
    await driver.get(url);
    return driver.getWindowHandle();
  }

  /** Opens an extension page (e.g. 'popup.html') in a new tab by its moz-extension:// URL; returns the handle. */
  async openExtensionPage(page) {
    return this.openPage(`${this.origin}/${page}`, { newTab: true });
  }

  async switchTo(handle) {
    await this.driver.switchTo().window(handle);
  }

  /** The URL of a window handle, or null if it is gone. Leaves that window current. */
  async urlOf(handle) {
    try {
      await this.driver.switchTo().window(handle);
      return await this.driver.getCurrentUrl();
    } catch {
      return null;
    }
  }

  /** Waits for a window handle (not in `exclude`) whose URL satisfies `test`. Leaves it current. */
  async waitForWindow(test, { exclude = [], timeout = DEFAULT_TIMEOUT, stopIf } = {}) {
    const known = new Set(exclude);
    let found = null;
    await this.driver.wait(
      async () => {
        for (const handle of await this.driver.getAllWindowHandles()) {
          if (known.has(handle)) continue;
          const url = await this.urlOf(handle);
          if (url && test(url)) {
            found = handle;
            return true;
          }
        }
        if (stopIf && (await stopIf())) return true;
        return false;
      },
      timeout,
      'no matching window appeared',
      sleepless(50),
    );
    if (found) await this.switchTo(found);
    return found;
  }

  /**
   * Starts fn(arg) in the page (fn is serialised; it runs in the page, e.g. (o) => kp.register(o)) and
   * returns at once with a handle on its result; the page's promise settles in window.__kpCalls.
   */
  async startInPage(pageHandle, fn, arg) {
    const key = `c${++this._calls}`;
    await this.switchTo(pageHandle);
    await this.driver.executeScript(
      `const key = arguments[0], arg = arguments[1];
       const calls = (window.__kpCalls = window.__kpCalls || {});
       calls[key] = { done: false };
       Promise.resolve()
         .then(() => (${fn.toString()})(arg))
         .then((value) => { calls[key] = { done: true, json: JSON.stringify(value === undefined ? null : value) }; },
               (err) => { calls[key] = { done: true, json: JSON.stringify({ pageError: String(err && err.stack || err) }) }; });`,
      key,
      arg ?? null,
    );
    return { pageHandle, key };
  }

  /** The settled value of a startInPage call, or undefined if still pending. Leaves the page current. */
  async peek(call) {
    await this.switchTo(call.pageHandle);
    const state = await this.driver.executeScript('const c = (window.__kpCalls || {})[arguments[0]]; return c && c.done ? c.json : null;', call.key);
    return state === null ? undefined : JSON.parse(state);
  }

  /** Waits for a startInPage call to settle and returns its value. */
  async result(call, { timeout = 60_000 } = {}) {
    let value;
    await this.driver.wait(
      async () => {
        value = await this.peek(call);
        return value !== undefined;
      },
      timeout,
      `the page's call ${call.key} did not settle`,
      sleepless(50),
    );
    return value;
  }

  /** Runs fn(arg) in the page and waits for it (for calls that open no window). */
  async inPage(pageHandle, fn, arg) {
    return this.result(await this.startInPage(pageHandle, fn, arg));
  }

  /** The consent windows (handles on /consent.html) open now. Leaves `back` current. */
  async consentWindows(back) {
    const open = [];
    for (const handle of await this.driver.getAllWindowHandles()) {
      const url = await this.urlOf(handle);
      if (url?.includes('/consent.html')) open.push(handle);
    }
    if (back) await this.switchTo(back);
    return open;
  }

  /**
   * Starts a ceremony in the page and waits for the Keyplace consent window, which is left current.
   * Returns {win, call}; fails with what the page got if the ceremony ends without a window.
   */
  async startCeremony(pageHandle, fn, arg) {
    const before = await this.driver.getAllWindowHandles();
    const call = await this.startInPage(pageHandle, fn, arg);
    let early;
    const win = await this.waitForWindow((url) => url.includes('/consent.html'), {
      exclude: before,
      stopIf: async () => {
        early = await this.peek(call);
        return early !== undefined;
      },
    });
    if (!win) throw new Error(`the ceremony ended without a Keyplace window: ${JSON.stringify(early)}`);
    return { win, call };
  }

  /**
   * Runs fn(arg) in the page while watching for consent windows; returns {result, consentWindows} with
   * every consent window seen during the call or still open after it.
   */
  async withoutWindow(pageHandle, fn, arg) {
    const before = new Set(await this.driver.getAllWindowHandles());
    const call = await this.startInPage(pageHandle, fn, arg);
    const seen = new Set();
    let result;
    await this.driver.wait(
      async () => {
        for (const handle of await this.driver.getAllWindowHandles()) {
          if (before.has(handle) || seen.has(handle)) continue;
          const url = await this.urlOf(handle);
          if (url?.includes('/consent.html')) seen.add(handle);
        }
        result = await this.peek(call);
        return result !== undefined;
      },
      60_000,
      'the page call did not settle',
      sleepless(50),
    );
    for (const handle of await this.consentWindows(pageHandle)) seen.add(handle);
    return { result, consentWindows: [...seen] };
  }

  // --- the consent window, by accessible names (the current window) ---

  /** Elements of the current window whose computed role and accessible name match (visible ones only). */
  async findByName(role, name) {
    const matches = [];
    const elements = await namedCandidates(this.driver, 'input, button, textarea, select, [role], h1, h2, h3, h4, li', name);
    for (const el of elements) {
      if (!(await el.isDisplayed().catch(() => false))) continue;
      if (role && (await el.getAriaRole().catch(() => '')) !== role) continue;
      const label = (await el.getAccessibleName().catch(() => '')).trim();
      if (typeof name === 'string' ? label === name : name.test(label)) matches.push(el);
    }
    return matches;
  }

  /** Waits until exactly one visible element has this role and name; returns it. */
  async byName(role, name, { timeout = DEFAULT_TIMEOUT } = {}) {
    let found = [];
    await this.driver.wait(
      async () => {
        found = await this.findByName(role, name);
        return found.length === 1;
      },
      timeout,
      `no single ${role ?? 'element'} named ${String(name)} (found ${found.length})`,
      sleepless(50),
    );
    return found[0];
  }

  /** A text field by its label ("PIN", "Confirm PIN", "Account name"), whatever role the browser gives it. */
  async field(label, options) {
    return this.byName(null, label, options);
  }

  async fill(label, text) {
    const input = await this.field(label);
    await input.clear();
    await input.sendKeys(text);
  }

  async check(name) {
    const radio = await this.byName('radio', name);
    if (!(await radio.isSelected())) await radio.click();
    await this.driver.wait(() => radio.isSelected(), 5_000, `radio ${String(name)} did not become checked`);
    return radio;
  }

  /**
   * Clicks a button that makes the window close itself (found by name, or `button` if already found),
   * and waits for the window to be gone; then makes `back` current.
   */
  async clickAndClose(win, buttonName, back, button) {
    button ??= await this.byName('button', buttonName);
    const failure = await button.click().then(() => null, (err) => err);
    await this.driver
      .wait(async () => !(await this.driver.getAllWindowHandles()).includes(win), 15_000, `the window stayed open after "${buttonName}"`)
      .catch((err) => {
        throw failure ?? err;
      });
    if (back) await this.switchTo(back);
  }

  /** The text of the window's visible, non-empty alert. */
  async alertText() {
    let text = '';
    await this.driver.wait(
      async () => {
        for (const el of await this.driver.findElements(By.css('[role=alert]'))) {
          if (!(await el.isDisplayed().catch(() => false))) continue;
          text = (await el.getText()).trim();
          if (text) return true;
        }
        return false;
      },
      DEFAULT_TIMEOUT,
      'no alert appeared',
      sleepless(50),
    );
    return text;
  }

  async createInVault(win, { account, pin, newPin = false }, back) {
    await this.check(/^Vault/);
    if (account !== undefined) await this.fill('Account name', account);
    if (pin !== undefined) {
      await this.fill('PIN', pin);
      if (newPin) await this.fill('Confirm PIN', pin);
    }
    await this.clickAndClose(win, 'Create passkey', back);
  }

  async createInHardware(win, { account, pin }, back) {
    await this.check(/^Hardware/);
    if (account !== undefined) await this.fill('Account name', account);
    await this.fill('PIN', pin);
    await this.fill('Confirm PIN', pin);
    await this.clickAndClose(win, 'Create passkey', back);
  }

  async createInBrowser(win, back) {
    await this.check(/^Browser/);
    await this.clickAndClose(win, 'Create passkey', back);
  }

  async fillSignIn({ account, pin } = {}) {
    if (account !== undefined) await this.check(new RegExp(`^${escapeRe(account)}\\b`));
    if (pin !== undefined) await this.fill('PIN', pin);
  }

  async signIn(win, { account, pin } = {}, back) {
    await this.fillSignIn({ account, pin });
    await this.clickAndClose(win, 'Sign in', back);
  }

  /** Fills and clicks "Sign in" expecting the window to stay (e.g. a wrong PIN). */
  async submitSignIn({ account, pin } = {}) {
    await this.fillSignIn({ account, pin });
    await (await this.byName('button', 'Sign in')).click();
  }

  async cancel(win, back) {
    await this.clickAndClose(win, 'Cancel', back);
  }

  // --- Firefox's own WebAuthn through WebDriver's virtual authenticator ---

  /** Adds a CTAP 2.1 internal authenticator with resident keys and UV (recipe: ctap2_1, not ctap2). */
  async addVirtualAuthenticator() {
    const options = new VirtualAuthenticatorOptions();
    options.setProtocol('ctap2_1');
    options.setTransport('internal');
    options.setHasResidentKey(true);
    options.setHasUserVerification(true);
    options.setIsUserVerified(true);
    options.setIsUserConsenting(true);
    await this.driver.addVirtualAuthenticator(options);
    this._virtualAuthenticator = true;
  }

  async virtualCredentials() {
    return this.driver.getCredentials();
  }

  async close() {
    await this.driver.quit().catch(() => {});
    if (this._logFd !== null) closeSync(this._logFd);
    this._logFd = null;
    await rm(this.dirs.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

function escapeRe(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
