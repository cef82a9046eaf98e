// Driving Keyplace's consent window the way a person does: by accessible names only (role/label).
import { nextConsentWindow, watchConsentWindows, openConsentContexts } from './browser.mjs';

/**
 * Starts a ceremony in the page (fn runs in the page, e.g. () => kp.register({...})) and waits for the
 * consent window. Returns {win, result}; `result` is the page's promise (the RP verdict or {error}).
 * If the ceremony ends before any window appears, fails with what the page got, which says more than
 * a timeout would.
 */
export async function startCeremony(context, page, fn, arg) {
  const windowPromise = nextConsentWindow(context);
  const result = page.evaluate(fn, arg);
  const first = await Promise.race([
    windowPromise.then((win) => ({ win })),
    result.then((value) => ({ early: value }), (err) => ({ early: { evaluateError: String(err) } })),
  ]);
  if (first.early) {
    windowPromise.cancel();
    throw new Error(`the ceremony ended without a Keyplace window: ${JSON.stringify(first.early)}`);
  }
  return { win: first.win, result };
}

/** Runs fn in the page while recording windows; returns {result, consentPages} once the page's call has settled. */
export async function withoutWindow(context, page, fn, arg) {
  const watch = watchConsentWindows(context);
  try {
    const result = await page.evaluate(fn, arg);
    // Ask the extension itself too: a window it created is in its contexts even if Playwright missed it.
    const open = await openConsentContexts(context);
    return { result, consentPages: [...watch.consentPages().map((p) => p.url()), ...open] };
  } finally {
    watch.stop();
  }
}

const closed = (win) => (win.isClosed() ? Promise.resolve() : win.waitForEvent('close', { timeout: 0 }));

/**
 * Clicks a button that makes the window close itself. Playwright's click can then fail with "Target page
 * ... has been closed" when the window goes away mid-action; that is success here, provided the window
 * really closes (checked by its close event, not by time).
 */
export async function clickAndClose(win, locator) {
  const done = closed(win);
  const failure = await locator.click().then(() => null, (err) => err);
  if (failure) {
    const closedAnyway = await Promise.race([done.then(() => true), new Promise((r) => setTimeout(r, 5_000, false).unref())]);
    if (!closedAnyway) throw failure;
  }
  return done;
}

export const pinField = (win) => win.getByLabel('PIN', { exact: true });
export const confirmPinField = (win) => win.getByLabel('Confirm PIN', { exact: true });
export const alertText = async (win) => {
  const alert = win.getByRole('alert').filter({ hasText: /\S/ });
  await alert.waitFor({ state: 'visible' });
  return (await alert.innerText()).trim();
};

/** Registration in the Keyplace vault. `newPin` = the vault has no PIN yet, so "Confirm PIN" is expected. */
export async function createInVault(win, { account, pin, newPin = false }) {
  await win.getByRole('radio', { name: /^Vault/ }).check();
  if (account !== undefined) await win.getByRole('textbox', { name: 'Account name' }).fill(account);
  if (pin !== undefined) {
    await pinField(win).fill(pin);
    if (newPin) await confirmPinField(win).fill(pin);
  }
  return clickAndClose(win, win.getByRole('button', { name: 'Create passkey' }));
}

/** Registration in this computer's TPM: the passkey gets its own PIN, chosen (and confirmed) here. */
export async function createInHardware(win, { account, pin }) {
  await win.getByRole('radio', { name: /^Hardware/ }).check();
  if (account !== undefined) await win.getByRole('textbox', { name: 'Account name' }).fill(account);
  await pinField(win).fill(pin);
  await confirmPinField(win).fill(pin);
  return clickAndClose(win, win.getByRole('button', { name: 'Create passkey' }));
}

/** Registration handed to the browser's own WebAuthn. */
export async function createInBrowser(win) {
  await win.getByRole('radio', { name: /^Browser/ }).check();
  return clickAndClose(win, win.getByRole('button', { name: 'Create passkey' }));
}

/** Sign-in that is expected to stay open (e.g. a wrong PIN): fills, clicks "Sign in", does not wait for a close. */
export async function submitSignIn(win, { account, pin } = {}) {
  await fillSignIn(win, { account, pin });
  await win.getByRole('button', { name: 'Sign in' }).click();
}

async function fillSignIn(win, { account, pin }) {
  if (account !== undefined) await win.getByRole('radio', { name: new RegExp(`^${escapeRe(account)}\\b`) }).check();
  if (pin !== undefined) await pinField(win).fill(pin);
}

export async function signIn(win, { account, pin } = {}) {
  await fillSignIn(win, { account, pin });
  return clickAndClose(win, win.getByRole('button', { name: 'Sign in' }));
}

export async function cancel(win) {
  return clickAndClose(win, win.getByRole('button', { name: 'Cancel' }));
}

function escapeRe(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
