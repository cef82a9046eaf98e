// The Driver interface (tests/drivers/driver.mjs) for headless Firefox ESR through selenium-webdriver and
// geckodriver. Launching is in firefox-session.mjs. WebDriver has one current window: every Surface
// switches to its own window handle before acting, so scenarios never think about it.
import { By, Key, Select } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import command from 'selenium-webdriver/lib/command.js';
import { createRequire } from 'node:module';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { launchFirefox, namedCandidates, firefoxUnavailable, ADDON_ID, FIREFOX_EXTENSION_ORIGIN, FIREFOX_VIRTUAL_AAGUID } from './firefox-session.mjs';
import { consentActions, until, DEFAULT_TIMEOUT } from './driver.mjs';

export { firefoxUnavailable };
const AXE_SOURCE = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
// Elements that can carry a role and a name (computed by Firefox itself, through WebDriver).
const NAMED = 'input, button, textarea, select, [role], h1, h2, h3, h4, h5, h6, li, dialog, section, img, a, main, nav, form';
const KEYS = { Tab: Key.TAB, Enter: Key.ENTER, Space: Key.SPACE, Escape: Key.ESCAPE, ArrowDown: Key.ARROW_DOWN, ArrowUp: Key.ARROW_UP };

// Firefox computes ARIA 1.3 role names where Playwright uses the older ones.
const ROLE_ALIASES = { image: 'img' };
const roleOf = async (el) => {
  const role = await el.getAriaRole().catch(() => '');
  return ROLE_ALIASES[role] ?? role;
};
const matches = (name, label) => name === undefined || (typeof name === 'string' ? label === name : name.test(label));

export class FirefoxSurface {
  constructor(driver, handle) {
    this.ff = driver.session;
    this.driver = driver.session.driver;
    this.handle = handle;
  }
  async focusWindow() {
    await this.ff.switchTo(this.handle);
  }
  async url() {
    await this.focusWindow();
    return this.driver.getCurrentUrl();
  }
  /** Runs fn(arg) in the page and awaits its promise (WebDriver runs one command at a time). */
  async evaluate(fn, arg) {
    const value = await this.ff.inPage(this.handle, fn, arg);
    if (value && typeof value === 'object' && 'pageError' in value) throw new Error(value.pageError);
    return value;
  }
  /** Visible elements of this window with that role (null: any) and accessible name. */
  async find(role, name) {
    await this.focusWindow();
    const found = [];
    for (const el of await namedCandidates(this.driver, NAMED, name)) {
      if (!(await el.isDisplayed().catch(() => false))) continue;
      if (role && (await roleOf(el)) !== role) continue;
      if (name !== undefined && !matches(name, (await el.getAccessibleName().catch(() => '')).trim())) continue;
      found.push(el);
    }
    return found;
  }
  /** Waits for exactly one visible element with that role and name. */
  async one(role, name, timeout = DEFAULT_TIMEOUT) {
    let found = [];
    await this.driver.wait(
      async () => {
        found = await this.find(role, name);
        return found.length === 1;
      },
      timeout,
      `no single ${role ?? 'field'} named ${String(name)} (found ${found.length})`,
      50,
    );
    return found[0];
  }
  async waitFor(role, name, { state = 'visible', timeout = DEFAULT_TIMEOUT } = {}) {
    const want = state === 'visible' ? (n) => n > 0 : (n) => n === 0;
    await this.driver.wait(async () => want((await this.find(role, name)).length), timeout, `${role} ${String(name)} not ${state}`, 50);
  }
  async count(role, name) {
    return (await this.find(role, name)).length;
  }
  async isChecked(role, name) {
    return (await this.one(role, name)).isSelected();
  }
  async isEnabled(role, name) {
    return (await this.one(role, name)).isEnabled();
  }
  async isVisible(role, name) {
    return (await this.find(role, name)).length > 0;
  }
  async isFocused(role, name) {
    const el = await this.one(role, name);
    return this.driver.executeScript('return arguments[0] === document.activeElement', el);
  }
  async check(role, name) {
    const box = await this.one(role, name);
    if (!(await box.isSelected())) await box.click();
    await this.driver.wait(() => box.isSelected(), 5_000, `${role} ${String(name)} did not become checked`);
  }
  async click(role, name) {
    await (await this.one(role, name)).click();
  }
  async focus(role, name) {
    const el = await this.one(role, name);
    await this.driver.executeScript('arguments[0].focus()', el);
  }
  async fill(label, text) {
    const input = await this.one(null, label);
    await input.clear();
    if (text) await input.sendKeys(text);
    // clear() with an empty text fires no input event; the page may listen for one.
    else await this.driver.executeScript("arguments[0].dispatchEvent(new Event('input', { bubbles: true }))", input);
  }
  async select(name, value) {
    await new Select(await this.one('combobox', name)).selectByValue(value);
  }
  /**
   * WebDriver picks a file by typing its path into the file field. Firefox names a file field after its button and
   * state too ("Browse… No file selected."), so the field is found through its label.
   */
  async chooseFile(label, file) {
    await this.focusWindow();
    const name = typeof label === 'string' ? { text: label } : { source: label.source, flags: label.flags };
    let input = null;
    await this.driver.wait(
      async () => {
        input = await this.driver.executeScript((want) => {
          const test = (text) => (want.text !== undefined ? text === want.text : new RegExp(want.source, want.flags).test(text));
          const found = [...document.querySelectorAll('label')].find((l) => test(l.textContent.trim()));
          return found?.control?.type === 'file' ? found.control : null;
        }, name);
        return input !== null;
      },
      DEFAULT_TIMEOUT,
      `no file field labelled ${String(label)}`,
      50,
    );
    await input.sendKeys(file);
  }
  async value(role, name) {
    return (await this.one(role, name)).getProperty('value');
  }
  async texts(role) {
    return Promise.all((await this.find(role)).map((el) => el.getText()));
  }
  async text() {
    await this.focusWindow();
    return this.driver.findElement(By.css('body')).getText();
  }
  async waitForText(text, { timeout = DEFAULT_TIMEOUT } = {}) {
    const has = (body) => (typeof text === 'string' ? body.includes(text) : text.test(body));
    await this.driver.wait(async () => has(await this.text()), timeout, `no text ${String(text)}`, 50);
  }
  async waitForTextIn(role, text, { timeout = DEFAULT_TIMEOUT } = {}) {
    const has = (t) => (typeof text === 'string' ? t.includes(text) : text.test(t));
    await this.driver.wait(async () => (await this.texts(role)).some(has), timeout, `no ${role} with ${String(text)}`, 50);
  }
  async alertText(filter = /\S/) {
    let text = '';
    await this.driver.wait(
      async () => {
        for (const el of await this.find('alert')) {
          text = (await el.getText()).trim();
          if (text && (typeof filter === 'string' ? text.includes(filter) : filter.test(text))) return true;
        }
        return false;
      },
      DEFAULT_TIMEOUT,
      'no alert appeared',
      50,
    );
    return text;
  }
  async press(key) {
    await this.focusWindow();
    const actions = this.driver.actions({ async: true });
    const [modifier, main] = key.includes('+') ? key.split('+') : [null, key];
    if (modifier) actions.keyDown(Key[modifier.toUpperCase()]);
    actions.sendKeys(KEYS[main] ?? main.toLowerCase());
    if (modifier) actions.keyUp(Key[modifier.toUpperCase()]);
    await actions.perform();
  }
  async keyDown(key) {
    await this.focusWindow();
    await this.driver.actions({ async: true }).keyDown(KEYS[key] ?? key).perform();
  }
  async keyUp(key) {
    await this.focusWindow();
    await this.driver.actions({ async: true }).keyUp(KEYS[key] ?? key).perform();
  }
  async type(text) {
    await this.focusWindow();
    await this.driver.actions({ async: true }).sendKeys(text).perform();
  }
  async focusedLabel() {
    await this.focusWindow();
    return this.driver.executeScript(() => {
      const el = document.activeElement;
      if (!el) return '';
      const byFor = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : '';
      return (el.getAttribute('aria-label') || byFor || el.closest('label')?.textContent || el.textContent || '').trim();
    });
  }
  /** prefers-color-scheme through Firefox's content override pref (0 dark, 1 light), set in the chrome context. */
  async colorScheme(scheme) {
    const pref = 'layout.css.prefers-color-scheme.content-override';
    await inChrome(this.driver, scheme ? `Services.prefs.setIntPref('${pref}', ${scheme === 'dark' ? 0 : 1});` : `Services.prefs.clearUserPref('${pref}');`);
    await this.focusWindow();
    if (!scheme) return;
    await this.driver.wait(() => this.driver.executeScript(`return matchMedia('(prefers-color-scheme: ${scheme})').matches`), 5_000);
  }
  async axeViolations() {
    await this.focusWindow();
    await this.driver.executeScript(AXE_SOURCE);
    const violations = await this.driver.executeAsyncScript(
      `const done = arguments[arguments.length - 1];
       axe.run(document, { resultTypes: ['violations'] }).then(
         (r) => done(r.violations.map((v) => v.id + ': ' + v.help + ' (' + v.nodes.map((n) => n.target.join(' ')).join(', ') + ')')),
         (e) => done(['axe failed: ' + e]));`,
    );
    return violations;
  }
  async screenshot(file) {
    await this.focusWindow();
    await writeFile(file, Buffer.from(await this.driver.takeScreenshot(), 'base64'));
  }
  async setSize(width, height) {
    await this.focusWindow();
    await this.driver.manage().window().setRect({ width, height });
  }
  async reload() {
    await this.focusWindow();
    await this.driver.navigate().refresh();
  }
  async bringToFront() {
    await this.focusWindow();
  }
  async close() {
    await this.focusWindow();
    await this.driver.close();
    await this.driver.wait(async () => !(await this.driver.getAllWindowHandles()).includes(this.handle), 10_000, 'the window did not close');
  }
}

/** The Keyplace autofill suggestion: a frame, inside a closed shadow root, of a page's window. */
export class FirefoxSuggestion extends FirefoxSurface {
  /** The suggestion's iframe element in the page's window, or null (WebDriver reaches closed shadow roots). */
  async frameElement() {
    await super.focusWindow();
    for (const host of await this.driver.findElements(By.css('html > div'))) {
      const root = await host.getShadowRoot().catch(() => null);
      const frames = root ? await root.findElements(By.css('iframe')) : [];
      for (const frame of frames) if ((await frame.getAttribute('src'))?.includes('/suggest.html')) return frame;
    }
    return null;
  }
  async focusWindow() {
    const frame = await this.frameElement();
    if (!frame) throw new Error('the Keyplace suggestion is gone');
    await this.driver.switchTo().frame(frame);
  }
  // A pick removes the suggestion, and with it the frame WebDriver was acting in: a click or key that ends that way
  // is done, not failed (had the frame been gone before, focusWindow would have thrown).
  async click(role, name) {
    await this.inFrame(() => super.click(role, name));
  }
  async press(key) {
    await this.inFrame(() => super.press(key));
  }
  async inFrame(act) {
    try {
      await act();
    } catch (err) {
      if (err?.name !== 'NoSuchWindowError') throw err;
    }
    await this.driver.switchTo().defaultContent().catch(() => undefined);
  }
}

/** A frame of a page, found by the start of its URL (e.g. another origin's page the test framed). */
class FirefoxFrame extends FirefoxSurface {
  constructor(driver, handle, urlPrefix) {
    super(driver, handle);
    this.urlPrefix = urlPrefix;
  }
  async focusWindow() {
    await super.focusWindow();
    for (const frame of await this.driver.findElements(By.css('iframe'))) {
      if ((await frame.getAttribute('src'))?.startsWith(this.urlPrefix)) return this.driver.switchTo().frame(frame);
    }
    throw new Error(`no frame of ${this.urlPrefix}`);
  }
}

export class FirefoxConsentWindow extends FirefoxSurface {
  async isClosed() {
    return !(await this.driver.getAllWindowHandles()).includes(this.handle);
  }
  /** Resolves when the window has closed (its handle is gone). */
  async waitClosed() {
    await this.driver.wait(() => this.isClosed(), 15_000, 'the window stayed open', 50);
  }
  /**
   * Clicks the button (`found`: already looked up with one(), so the click itself is one command) and
   * waits for the window to be gone. Leaves no window current (the next action picks one).
   */
  async clickAndClose(name, found) {
    await this.ff.clickAndClose(this.handle, name, null, found ?? (await this.one('button', name)));
  }
  /** Looks up the button a later clickAndClose(name, button) clicks at once. */
  async button(name) {
    return this.one('button', name);
  }
}
Object.assign(FirefoxConsentWindow.prototype, consentActions);

/** Runs `script` in Firefox's chrome context with arguments[0] = the add-on id. */
async function inChrome(driver, script, { async = false, args = [] } = {}) {
  await driver.setContext(firefox.Context.CHROME);
  try {
    return async ? await driver.executeAsyncScript(script, ADDON_ID, ...args) : await driver.executeScript(script, ADDON_ID, ...args);
  } finally {
    await driver.setContext(firefox.Context.CONTENT);
  }
}

/** A startInPage call read only when awaited: reading switches to (and so focuses) the page's window. */
function lazyResult(session, call) {
  let promise;
  return {
    // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, so the page is read only when awaited
    then(resolve, reject) {
      promise ??= session.result(call);
      return promise.then(resolve, reject);
    },
  };
}

export class FirefoxDriver {
  name = 'firefox';

  /** Launches Firefox with Keyplace; options as launchFirefox (env, prefs, dataDir). */
  static async launch(options = {}) {
    const driver = new FirefoxDriver(await launchFirefox(options));
    driver._firstTab = await driver.session.driver.getWindowHandle();
    return driver;
  }

  constructor(session) {
    /** The FirefoxSession (selenium driver and window helpers) for a Firefox-only step. */
    this.session = session;
    this.dirs = session.dirs;
    this.extensionOrigin = FIREFOX_EXTENSION_ORIGIN;
    this.nativeHostManifest = path.join(session.dirs.home, '.mozilla/native-messaging-hosts/com.keyplace.host.json');
    this.hostArgs = [this.nativeHostManifest, ADDON_ID];
    /** The AAGUID WebDriver's virtual authenticator attests with (direct attestation). */
    this.virtualAuthenticatorAaguid = FIREFOX_VIRTUAL_AAGUID;
    this.until = until;
    this._firstTabFree = true;
    this._extensionTab = null;
  }

  async openPage(url) {
    // The current window may have been closed (a consent window, a page): start from one that exists.
    const open = await this.session.driver.getAllWindowHandles();
    await this.session.switchTo(open.includes(this._firstTab) ? this._firstTab : open[0]);
    const handle = await this.session.openPage(url, { newTab: !this._firstTabFree });
    this._firstTabFree = false;
    return new FirefoxSurface(this, handle);
  }

  async openExtensionPage(file) {
    return this.openPage(`${this.extensionOrigin}/${file}`);
  }

  /** Keyplace's first-run page, opened by the extension on install (launch with keepWelcome). */
  async firstRunPage() {
    const handle = await this.session.waitForWindow((url) => url.includes('/welcome.html'), { timeout: 15_000 });
    if (!handle) throw new Error('no first-run page');
    return new FirefoxSurface(this, handle);
  }

  async windowAfter(action) {
    const { session } = this;
    const before = await session.driver.getAllWindowHandles();
    await action();
    // The action may have ended the frame it ran in (a pick removes the suggestion): back to a window's top.
    await session.driver.switchTo().defaultContent().catch(() => undefined);
    const win = await session.waitForWindow((url) => url.includes('/consent.html'), { exclude: before });
    return new FirefoxConsentWindow(this, win);
  }

  async suggestion(page, { timeout = DEFAULT_TIMEOUT } = {}) {
    const suggestion = new FirefoxSuggestion(this, page.handle);
    await until('the Keyplace suggestion', () => suggestion.frameElement(), timeout);
    return suggestion;
  }

  async frame(page, urlPrefix) {
    return new FirefoxFrame(this, page.handle, urlPrefix);
  }

  async hasSuggestion(page) {
    return (await new FirefoxSuggestion(this, page.handle).frameElement()) !== null;
  }

  async startCeremony(page, fn, arg, { allowNoWindow = false } = {}) {
    const { session } = this;
    const before = await session.driver.getAllWindowHandles();
    const call = await session.startInPage(page.handle, fn, arg);
    let early;
    const win = await session.waitForWindow((url) => url.includes('/consent.html'), {
      exclude: before,
      stopIf: async () => {
        early = await session.peek(call);
        return early !== undefined;
      },
    });
    if (!win) {
      if (allowNoWindow) return { win: null, result: Promise.resolve(early) };
      throw new Error(`the ceremony ended without a Keyplace window: ${JSON.stringify(early)}`);
    }
    return { win: new FirefoxConsentWindow(this, win), result: lazyResult(session, call) };
  }

  /**
   * Runs fn in the page while only listing window handles: no switching to other windows, which would
   * take the focus Firefox requires for its own WebAuthn. Returns the page's result and the URLs of any
   * window that appeared meanwhile.
   */
  async withoutWindow(page, fn, arg) {
    const { session } = this;
    const before = new Set(await session.driver.getAllWindowHandles());
    const call = await session.startInPage(page.handle, fn, arg);
    const appeared = new Set();
    const look = async () => {
      for (const handle of await session.driver.getAllWindowHandles()) if (!before.has(handle)) appeared.add(handle);
    };
    let result;
    await session.driver.wait(
      async () => {
        await look();
        result = await session.peek(call);
        return result !== undefined;
      },
      60_000,
      'the page call did not settle',
      50,
    );
    await look();
    const urls = [];
    for (const handle of appeared) urls.push((await session.urlOf(handle)) ?? '(closed)');
    await session.switchTo(page.handle);
    return { result, consentWindows: urls };
  }

  /** Runs fn(arg) in an extension page (opened once), where browser.* is available. */
  async extensionEval(fn, arg) {
    // A window of its own, so the tabs of the test's pages stay the active ones in theirs.
    if (!this._extensionTab) {
      const open = await this.session.driver.getAllWindowHandles();
      await this.session.switchTo(open.includes(this._firstTab) ? this._firstTab : open[0]);
      await this.session.driver.switchTo().newWindow('window');
      await this.session.driver.get(`${this.extensionOrigin}/welcome.html`);
      this._extensionTab = await this.session.driver.getWindowHandle();
    }
    return this.session.inPage(this._extensionTab, fn, arg);
  }

  /** The background page's metrics, through browser.runtime.getBackgroundPage(). */
  async metrics() {
    return this.extensionEval(async () => {
      const bg = await browser.runtime.getBackgroundPage();
      return bg.keyplaceMetrics ? JSON.parse(JSON.stringify(bg.keyplaceMetrics)) : null;
    });
  }

  /** WebDriver's virtual authenticator (CTAP 2.1, internal, resident keys, UV): one per session. */
  async addVirtualAuthenticator(page) {
    await page?.focusWindow();
    const { session } = this;
    await session.addVirtualAuthenticator();
    const driver = session.driver;
    return {
      async credentialIds() {
        return (await session.virtualCredentials()).map((c) => Buffer.from(c.id()).toString('base64url'));
      },
      async addCredential({ id, rpId, privateKeyPkcs8, userHandle, resident, backupEligible = false, backupState = false }) {
        const params = {
          authenticatorId: driver.virtualAuthenticatorId(),
          credentialId: id.toString('base64url'),
          isResidentCredential: resident,
          rpId,
          privateKey: privateKeyPkcs8.toString('base64url'),
          signCount: 0,
          backupEligibility: backupEligible,
          backupState,
        };
        if (resident) params.userHandle = userHandle.toString('base64url');
        await driver.execute(new command.Command(command.Name.ADD_CREDENTIAL).setParameters(params));
      },
    };
  }

  /** Terminates the event page (its native port closes); the next event starts it again. */
  async restartBackground() {
    const state = await inChrome(
      this.session.driver,
      `const done = arguments[arguments.length - 1];
       const ext = WebExtensionPolicy.getByID(arguments[0]).extension;
       ext.terminateBackground({ disableResetIdleForTest: true }).then(() => done(String(ext.backgroundState)), (e) => done('error: ' + e));`,
      { async: true },
    );
    if (String(state).startsWith('error')) throw new Error(`could not stop the background: ${state}`);
  }

  async close() {
    await this.session.close();
  }
}
