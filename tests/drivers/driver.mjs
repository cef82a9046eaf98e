// The one interface both browser drivers implement (tests/drivers/chromium.mjs with playwright-core,
// tests/drivers/firefox.mjs with selenium-webdriver + geckodriver). Scenarios use only this, so each
// is written once and runs in both browsers. Elements are found the way a person finds them: by role
// and accessible name (a string is an exact name, a RegExp is tested against the name), or, for text
// fields, by their label.

/**
 * @typedef {string | RegExp} Name
 *
 * @typedef {object} Surface  A page, an extension page or a consent window.
 * @property {() => Promise<string>} url
 * @property {(fn: Function, arg?: any) => Promise<any>} evaluate  Runs fn(arg) in the page and awaits it.
 * @property {(role: string|null, name: Name, opts?: {state?: 'visible'|'hidden'|'detached', timeout?: number}) => Promise<void>} waitFor
 *   role null: a field by its label.
 * @property {(role: string|null, name?: Name) => Promise<number>} count  Visible elements with that role (and name).
 * @property {(role: string, name: Name) => Promise<boolean>} isChecked
 * @property {(role: string, name: Name) => Promise<boolean>} isEnabled
 * @property {(role: string|null, name: Name) => Promise<boolean>} isVisible
 * @property {(role: string, name: Name) => Promise<boolean>} isFocused
 * @property {(role: string, name: Name) => Promise<void>} check  A radio or checkbox.
 * @property {(role: string, name: Name) => Promise<void>} click
 * @property {(role: string, name: Name) => Promise<void>} focus
 * @property {(label: Name, text: string) => Promise<void>} fill  A text field by its label (cleared first).
 * @property {(name: Name, value: string) => Promise<void>} select  A combobox (select) by its name.
 * @property {(label: Name, file: string) => Promise<void>} chooseFile  A file field by its label: picks that file (a path),
 *   as the person does in the browser's file picker.
 * @property {(role: string|null, name: Name) => Promise<string>} value  The value of a field or select.
 * @property {(role: string) => Promise<string[]>} texts  The visible text of every element with that role.
 * @property {() => Promise<string>} text  The visible text of the whole page.
 * @property {(text: string|RegExp, opts?: {timeout?: number}) => Promise<void>} waitForText
 * @property {(role: string, text: string|RegExp, opts?: {timeout?: number}) => Promise<void>} waitForTextIn
 *   Waits for a visible element with that role whose text contains `text` (e.g. a status line).
 * @property {(filter?: string|RegExp) => Promise<string>} alertText  The first visible, non-empty alert.
 * @property {(key: string) => Promise<void>} press  A key ("Tab", "Enter", "Space", "Escape", "Control+A").
 * @property {(key: string) => Promise<void>} keyDown  Presses a key and keeps it down; pressing it down again is a
 *   repeat (event.repeat), as when a key is held.
 * @property {(key: string) => Promise<void>} keyUp
 * @property {(text: string) => Promise<void>} type  Types into the focused element.
 * @property {() => Promise<string>} focusedLabel  The label of the focused element.
 * @property {(scheme: 'light'|'dark'|null) => Promise<void>} colorScheme  Emulates prefers-color-scheme (null: stop).
 * @property {() => Promise<string[]>} axeViolations  axe-core run in the page.
 * @property {(file: string) => Promise<void>} screenshot  The full page, as PNG.
 * @property {(width: number, height: number) => Promise<void>} setSize  The viewport (Firefox: the window).
 * @property {() => Promise<void>} reload
 * @property {() => Promise<void>} bringToFront
 * @property {() => Promise<void>} close
 *
 * @typedef {Surface & ConsentActions} ConsentWindow  The Keyplace window of one ceremony.
 * @typedef {object} ConsentActions
 * @property {(name: Name, button?: any) => Promise<void>} clickAndClose  Clicks a button that closes the window;
 *   waits for the close. `button`: from button(name), looked up beforehand so the click is immediate.
 * @property {(name: Name) => Promise<any>} button  Looks up a button for clickAndClose.
 * @property {(o: {account?: string, pin?: string, newPin?: boolean}) => Promise<void>} createInVault
 * @property {(o: {account?: string, pin: string}) => Promise<void>} createInHardware
 * @property {() => Promise<void>} createInBrowser
 * @property {(o?: {account?: string, pin?: string}) => Promise<void>} signIn
 * @property {(o?: {account?: string, pin?: string}) => Promise<void>} submitSignIn  Fills and clicks "Sign in", window stays.
 * @property {(o?: {account?: string, pin?: string}) => Promise<void>} fillSignIn
 * @property {() => Promise<void>} cancel
 * @property {() => Promise<boolean>} isClosed
 * @property {() => Promise<void>} waitClosed  Resolves once the window has closed (e.g. after Enter).
 *
 * @typedef {object} VirtualAuthenticator  The browser's own WebAuthn, through its automation protocol.
 * @property {() => Promise<string[]>} credentialIds  base64url ids of the credentials it holds.
 * @property {(c: {id: Buffer, rpId: string, privateKeyPkcs8: Buffer, userHandle: Buffer, resident: boolean,
 *   backupEligible?: boolean, backupState?: boolean}) => Promise<void>} addCredential
 *
 * @typedef {object} Driver
 * @property {'chromium'|'firefox'} name
 * @property {{root: string, home: string, data: string}} dirs
 * @property {string} extensionOrigin  chrome-extension://ID or moz-extension://UUID
 * @property {(url: string) => Promise<Surface>} openPage  A new tab on url.
 * @property {(path: string) => Promise<Surface>} openExtensionPage  e.g. 'popup.html?site=localhost', as a tab.
 * @property {(page: Surface, fn: Function, arg?: any) => Promise<{win: ConsentWindow, result: PromiseLike<any>}>} startCeremony
 *   Starts fn(arg) in the page and waits for the consent window; fails with the page's result if none opens.
 *   `result` is awaited only after the window is driven (in Firefox, reading it focuses the page).
 * @property {(page: Surface, fn: Function, arg?: any) => Promise<{result: any, consentWindows: string[]}>} withoutWindow
 *   Runs fn(arg) in the page, recording every consent window (or any new window, in Firefox) it opened.
 *   With {allowNoWindow: true} as a 4th argument, `win` is null when the call settled without a window.
 * @property {() => Promise<Surface>} firstRunPage  The welcome tab the extension opens on install
 *   (launch with {keepWelcome: true}; otherwise the drivers close it so it cannot take the focus).
 * @property {(action: () => Promise<any>) => Promise<ConsentWindow>} windowAfter  Runs action (e.g. a click in the
 *   autofill suggestion) and waits for the consent window it opens.
 * @property {(page: Surface, opts?: {timeout?: number}) => Promise<Surface>} suggestion  The Keyplace autofill
 *   suggestion framed in the page (an extension-origin frame in a closed shadow root), once it is there.
 * @property {(page: Surface) => Promise<boolean>} hasSuggestion  Whether the page shows that suggestion now.
 * @property {(page: Surface, urlPrefix: string) => Promise<Surface>} frame  A frame of the page whose URL starts with
 *   urlPrefix (e.g. another origin's page the test framed): clicking in it gives that frame user activation.
 * @property {(fn: Function, arg?: any) => Promise<any>} extensionEval  Runs fn(arg) in an extension context.
 * @property {() => Promise<object|null>} metrics  The extension's globalThis.keyplaceMetrics.
 * @property {(page: Surface) => Promise<VirtualAuthenticator>} addVirtualAuthenticator
 * @property {(page: Surface) => Promise<void>} restartBackground  Stops the background; the next event starts it again.
 * @property {string} nativeHostManifest  Path of the native messaging host manifest this browser reads.
 * @property {string[]} hostArgs  The argv a browser gives the host (for a second host process).
 * @property {string|null} virtualAuthenticatorAaguid  The AAGUID the browser's virtual authenticator attests
 *   with under direct attestation (Firefox), or null (Chromium's gives none to compare).
 * @property {(what: string, check: () => Promise<any>, timeout?: number) => Promise<any>} until
 *   Waits for check() to be truthy (polled), never for a fixed time.
 * @property {() => Promise<void>} close  Quits the browser and deletes its temp dirs.
 */

export const DEFAULT_TIMEOUT = 30_000;

/** Polls a condition (no fixed sleeps): resolves with its first truthy value, fails after `timeout`. */
export async function until(what, check, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await check().catch((err) => ({ error: String(err) }));
    if (last && !last.error) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function escapeRe(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The radio of an account in the sign-in window: its name starts with the account name. */
export const accountName = (account) => new RegExp(`^${escapeRe(account)}\\b`);

/** Shared by both drivers: the consent actions written once on top of the Surface primitives. */
export const consentActions = {
  async createInVault({ account, pin, newPin = false }) {
    await this.check('radio', /^Vault/);
    if (account !== undefined) await this.fill('Account name', account);
    if (pin !== undefined) {
      await this.fill('PIN', pin);
      if (newPin) await this.fill('Confirm PIN', pin);
    }
    await this.clickAndClose('Create passkey');
  },
  async createInHardware({ account, pin }) {
    await this.check('radio', /^Hardware/);
    if (account !== undefined) await this.fill('Account name', account);
    await this.fill('PIN', pin);
    await this.fill('Confirm PIN', pin);
    await this.clickAndClose('Create passkey');
  },
  async createInBrowser() {
    await this.check('radio', /^Browser/);
    await this.clickAndClose('Create passkey');
  },
  async fillSignIn({ account, pin } = {}) {
    if (account !== undefined) await this.check('radio', accountName(account));
    if (pin !== undefined) await this.fill('PIN', pin);
  },
  async signIn(o = {}) {
    await this.fillSignIn(o);
    await this.clickAndClose('Sign in');
  },
  async submitSignIn(o = {}) {
    await this.fillSignIn(o);
    await this.click('button', 'Sign in');
  },
  async cancel() {
    await this.clickAndClose('Cancel');
  },
};
