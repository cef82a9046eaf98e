// The Driver interface (tests/drivers/driver.mjs) for headless Chromium through playwright-core.
// Launching (temp dirs, developer mode, host manifest in the profile) is in chromium-launch.mjs.
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  launchKeyplace,
  nextConsentWindow,
  watchConsentWindows,
  openConsentContexts,
  virtualAuthenticator,
  firstRunPage,
  EXTENSION_ORIGIN,
  CHROMIUM,
} from './chromium-launch.mjs';
import { consentActions, until, DEFAULT_TIMEOUT } from './driver.mjs';
import { existsSync } from 'node:fs';

const AXE_SOURCE = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Why Chromium cannot run here, or null. */
export function chromiumUnavailable() {
  return existsSync(CHROMIUM) ? null : `Chromium is not at ${CHROMIUM} (apt-get install chromium, or set KEYPLACE_CHROMIUM)`;
}

const exactly = (name) => (typeof name === 'string' ? { name, exact: true } : name === undefined ? {} : { name });

const suggestionFrame = (page) =>
  page.page.frames().find((f) => f.url().startsWith(`${EXTENSION_ORIGIN}/suggest.html`) && !f.isDetached()) ?? null;

export class ChromiumSurface {
  /** `page`: a Playwright Page, or a Frame in `owner` (the Keyplace suggestion). */
  constructor(page, owner = page) {
    /** The Playwright Page or Frame (for a Chromium-only step). */
    this.page = page;
    this.keyboard = owner.keyboard;
  }
  locator(role, name) {
    return role ? this.page.getByRole(role, exactly(name)) : this.page.getByLabel(name, { exact: typeof name === 'string' });
  }
  async url() {
    return this.page.url();
  }
  evaluate(fn, arg) {
    return this.page.evaluate(fn, arg);
  }
  async waitFor(role, name, { state = 'visible', timeout } = {}) {
    await this.locator(role, name).first().waitFor({ state, timeout });
  }
  count(role, name) {
    return this.locator(role, name).count();
  }
  isChecked(role, name) {
    return this.locator(role, name).isChecked();
  }
  isEnabled(role, name) {
    return this.locator(role, name).isEnabled();
  }
  isVisible(role, name) {
    return this.locator(role, name).isVisible();
  }
  isFocused(role, name) {
    return this.locator(role, name).evaluate((el) => el === document.activeElement);
  }
  check(role, name) {
    return this.locator(role, name).check();
  }
  click(role, name) {
    return this.locator(role, name).click();
  }
  focus(role, name) {
    return this.locator(role, name).focus();
  }
  fill(label, text) {
    return this.locator(null, label).fill(text);
  }
  async select(name, value) {
    await this.locator('combobox', name).selectOption(value);
  }
  async chooseFile(label, file) {
    await this.locator(null, label).setInputFiles(file);
  }
  value(role, name) {
    return this.locator(role, name).inputValue();
  }
  texts(role) {
    return this.page.getByRole(role).allInnerTexts();
  }
  text() {
    return this.page.locator('body').innerText();
  }
  async waitForText(text, { timeout } = {}) {
    await this.page.getByText(text).first().waitFor({ timeout });
  }
  async waitForTextIn(role, text, { timeout } = {}) {
    await this.page.getByRole(role).filter({ hasText: text }).first().waitFor({ timeout });
  }
  async alertText(filter = /\S/) {
    const alert = this.page.getByRole('alert').filter({ hasText: filter }).first();
    await alert.waitFor({ state: 'visible' });
    return (await alert.innerText()).trim();
  }
  async press(key) {
    await this.keyboard.press(key === 'Space' ? 'Space' : key);
  }
  async keyDown(key) {
    this.held ??= new Set();
    if (!this.held.has(key)) {
      this.held.add(key);
      await this.page.keyboard.down(key);
      return;
    }
    // A repeat, as a held key sends it: CDP's autoRepeat (Playwright's own repeat does not reach popup windows).
    this.cdp ??= await this.page.context().newCDPSession(this.page);
    const enter = key === 'Enter';
    const event = { key, code: key, windowsVirtualKeyCode: enter ? 13 : 0, autoRepeat: true };
    await this.cdp.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', ...event });
    if (enter) await this.cdp.send('Input.dispatchKeyEvent', { type: 'char', ...event, text: '\r', unmodifiedText: '\r' });
  }
  async keyUp(key) {
    this.held?.delete(key);
    await this.page.keyboard.up(key);
  }
  async type(text) {
    await this.keyboard.type(text);
  }
  focusedLabel() {
    return this.page.evaluate(() => {
      const el = document.activeElement;
      if (!el) return '';
      const byFor = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : '';
      return (el.getAttribute('aria-label') || byFor || el.closest('label')?.textContent || el.textContent || '').trim();
    });
  }
  async colorScheme(scheme) {
    await this.page.emulateMedia({ colorScheme: scheme });
  }
  /** axe-core, evaluated over CDP, so the extension's CSP does not block it. */
  async axeViolations() {
    await this.page.evaluate(AXE_SOURCE);
    const results = await this.page.evaluate(() => globalThis.axe.run(document, { resultTypes: ['violations'] }));
    return results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  }
  async screenshot(file) {
    await this.page.screenshot({ path: file, fullPage: true });
  }
  async setSize(width, height) {
    await this.page.setViewportSize({ width, height });
  }
  async reload() {
    await this.page.reload();
  }
  async bringToFront() {
    await this.page.bringToFront();
  }
  async close() {
    await this.page.close();
  }
}

const closed = (page) => (page.isClosed() ? Promise.resolve() : page.waitForEvent('close', { timeout: 0 }));

export class ChromiumConsentWindow extends ChromiumSurface {
  async isClosed() {
    return this.page.isClosed();
  }
  /** Resolves when the window has closed (by its close event). */
  waitClosed() {
    return closed(this.page);
  }
  /**
   * Clicks a button that makes the window close itself. Playwright's click can fail with "Target page
   * ... has been closed" when the window goes away mid-action; that is success here, provided the window
   * really closes (checked by its close event).
   */
  async clickAndClose(name, found) {
    const done = closed(this.page);
    const failure = await (found ?? this.locator('button', name)).click().then(() => null, (err) => err);
    if (failure) {
      const closedAnyway = await Promise.race([done.then(() => true), new Promise((r) => setTimeout(r, 5_000, false).unref())]);
      if (!closedAnyway) throw failure;
    }
    await done;
  }
  /** A locator, for clickAndClose(name, button): Playwright clicks in one step anyway. */
  async button(name) {
    return this.locator('button', name);
  }
  async close() {
    await this.page.close();
  }
}
Object.assign(ChromiumConsentWindow.prototype, consentActions);

/**
 * Starts fn(arg) in a Playwright page and waits for the consent window ({win, result}, see the Driver's
 * startCeremony); for code that holds a Playwright context and page (the benchmark).
 */
export async function startCeremonyIn(context, page, fn, arg, { allowNoWindow = false } = {}) {
  const windowPromise = nextConsentWindow(context);
  const result = page.evaluate(fn, arg);
  const first = await Promise.race([
    windowPromise.then((win) => ({ win })),
    result.then((value) => ({ early: value }), (err) => ({ early: { evaluateError: String(err) } })),
  ]);
  if (first.early) {
    windowPromise.cancel();
    if (allowNoWindow) return { win: null, result };
    throw new Error(`the ceremony ended without a Keyplace window: ${JSON.stringify(first.early)}`);
  }
  return { win: new ChromiumConsentWindow(first.win), result };
}

export class ChromiumDriver {
  name = 'chromium';

  /** Launches Chromium with Keyplace; see launchKeyplace for the options (env, dataDir, keepWelcome). */
  static async launch(options = {}) {
    const driver = new ChromiumDriver(await launchKeyplace(options));
    return driver;
  }

  constructor(session) {
    /** The launch session: {context, dirs, worker(), newPage(), close()} (for a Chromium-only step). */
    this.session = session;
    this.context = session.context;
    this.dirs = session.dirs;
    this.extensionOrigin = EXTENSION_ORIGIN;
    this.nativeHostManifest = path.join(session.dirs.profile, 'NativeMessagingHosts', 'com.keyplace.host.json');
    this.hostArgs = [`${EXTENSION_ORIGIN}/`];
    /** Chromium's virtual authenticator attests with no AAGUID of its own (null: nothing to compare). */
    this.virtualAuthenticatorAaguid = null;
    this.until = until;
  }

  async openPage(url) {
    return new ChromiumSurface(await this.session.newPage(url));
  }

  async openExtensionPage(file) {
    return this.openPage(`${EXTENSION_ORIGIN}/${file}`);
  }

  /** Keyplace's first-run page, opened by the extension on install (launch with keepWelcome). */
  async firstRunPage() {
    return new ChromiumSurface(await firstRunPage(this.context));
  }

  async startCeremony(page, fn, arg, options) {
    return startCeremonyIn(this.context, page.page, fn, arg, options);
  }

  async withoutWindow(page, fn, arg) {
    const watch = watchConsentWindows(this.context);
    try {
      const result = await page.page.evaluate(fn, arg);
      // Ask the extension too: a window it created is in its contexts even if Playwright missed it.
      const open = await openConsentContexts(this.context);
      return { result, consentWindows: [...watch.consentPages().map((p) => p.url()), ...open] };
    } finally {
      watch.stop();
    }
  }

  async windowAfter(action) {
    const windowPromise = nextConsentWindow(this.context);
    // The window is what counts. The action (a key press in a frame the pick removes) may still be finishing its
    // key-up when the window has opened: once the window is there it is not awaited, so a dispatch the browser
    // never acknowledges cannot hold the test (seen once in CI under load); an action that fails first still fails.
    const acted = Promise.resolve()
      .then(action)
      .catch((err) => {
        windowPromise.cancel();
        throw err;
      });
    const page = await Promise.race([windowPromise, acted.then(() => windowPromise)]);
    acted.catch(() => {});
    if (!page) await acted;
    return new ChromiumConsentWindow(page);
  }

  /** The Keyplace autofill suggestion framed in `page`, once it is there. */
  async suggestion(page, { timeout = DEFAULT_TIMEOUT } = {}) {
    const frame = await until('the Keyplace suggestion', async () => suggestionFrame(page), timeout);
    return new ChromiumSurface(frame, page.page);
  }

  async frame(page, urlPrefix) {
    const frame = await until(`a frame of ${urlPrefix}`, async () =>
      page.page.frames().find((f) => f.url().startsWith(urlPrefix) && !f.isDetached()),
    );
    return new ChromiumSurface(frame, page.page);
  }

  /** Whether `page` shows the Keyplace autofill suggestion now. */
  async hasSuggestion(page) {
    return suggestionFrame(page) !== null;
  }

  async extensionEval(fn, arg) {
    return (await this.session.worker()).evaluate(fn, arg);
  }

  async metrics() {
    return this.extensionEval(() => (globalThis.keyplaceMetrics ? JSON.parse(JSON.stringify(globalThis.keyplaceMetrics)) : null));
  }

  /** Chromium's virtual authenticator lives on one page's target (CDP WebAuthn domain). */
  async addVirtualAuthenticator(page) {
    const authenticator = await virtualAuthenticator(page.page);
    return {
      native: authenticator,
      async credentialIds() {
        return (await authenticator.credentials()).map((c) => Buffer.from(c.credentialId, 'base64').toString('base64url'));
      },
      async addCredential({ id, rpId, privateKeyPkcs8, userHandle, resident, backupEligible = false, backupState = false }) {
        await authenticator.client.send('WebAuthn.addCredential', {
          authenticatorId: authenticator.authenticatorId,
          credential: {
            credentialId: id.toString('base64'),
            isResidentCredential: resident,
            rpId,
            privateKey: privateKeyPkcs8.toString('base64'),
            userHandle: userHandle.toString('base64'),
            signCount: 0,
            backupEligibility: backupEligible,
            backupState,
          },
        });
      },
    };
  }

  /**
   * Stops the extension's service worker (its open port to the host closes). Playwright keeps one Worker
   * object across a stop/start, so the stop is observed through the ServiceWorker domain's own updates.
   */
  async restartBackground(page) {
    const cdp = await this.context.newCDPSession(page.page);
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
  }

  async close() {
    await this.session.close();
  }
}

export { DEFAULT_TIMEOUT };
