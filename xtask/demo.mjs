// `xtask/xtask.sh demo [chromium|firefox] [--smoke]`: the first five minutes (README). Starts the demo site (a
// relying party on @simplewebauthn/server at http://localhost) and a browser with Keyplace loaded in a throwaway
// profile, its host registered there, so a person creates a passkey, chooses where it lives, signs in with it and
// sees the popup. `--smoke` runs the same headless and walks through it itself (a vault passkey created in the real
// Keyplace window, a sign-in, the popup), saying each step: a smoke test of the build, and part of the test command.
import { browserUnavailable, launchBrowser } from '../tests/drivers/index.mjs';
import { startRpServer } from '../tests/support/rp-server.mjs';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const named = args.find((a) => !a.startsWith('--'));
const browser = named ?? (browserUnavailable('chromium') ? 'firefox' : 'chromium');
const PIN = '246810';

const step = (text) => console.log(`• ${text}`);

async function walkThrough(driver, page) {
  step('Creating a passkey for demo-user: the Keyplace window opens; choosing Vault, PIN 246810');
  await page.fill('Username', 'demo-user');
  const create = await driver.windowAfter(() => page.click('button', 'Create a passkey'));
  await create.createInVault({ account: 'demo-user', pin: PIN, newPin: true });
  await page.waitForTextIn('status', 'Passkey created for demo-user and verified by the relying party');
  step('The relying party verified the registration');

  step('Signing in with it: the Keyplace window asks for the PIN');
  const signIn = await driver.windowAfter(() => page.click('button', 'Sign in with a passkey'));
  await signIn.signIn({ pin: PIN });
  await page.waitForTextIn('status', 'Signed in as demo-user');
  step('The relying party verified the sign-in');

  step("Opening Keyplace's popup: where the passkey is");
  const popup = await driver.openExtensionPage('popup.html?site=localhost');
  await popup.waitForText('demo-user');
  await popup.waitForText('Keyplace vault on this computer');
  await popup.close();
  step('The popup lists demo-user, in the Keyplace vault on this computer');
}

/** Resolves when the person closes the browser (or presses Ctrl+C). */
function untilClosed(driver) {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    if (driver.context) driver.context.once('close', resolve);
    else {
      // Firefox through WebDriver has no close event: ask now and then whether its windows are still there.
      const timer = setInterval(async () => {
        const open = await driver.session.driver.getAllWindowHandles().catch(() => []);
        if (open.length === 0) {
          clearInterval(timer);
          resolve();
        }
      }, 1000);
    }
  });
}

async function main() {
  const missing = browserUnavailable(browser);
  if (missing) throw new Error(missing);
  if (!smoke && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY)
    throw new Error('No display here: run the demo on your desktop, or `--smoke` to walk through it headless.');
  step(`Starting the demo site (a relying party on @simplewebauthn/server)`);
  const rp = await startRpServer();
  step(`Starting ${browser} with Keyplace in a throwaway profile (its host registered there)`);
  const driver = await launchBrowser(browser, { headless: smoke });
  try {
    const page = await driver.openPage(rp.url('/demo'));
    if (smoke) {
      await walkThrough(driver, page);
      console.log(`Smoke test passed in ${browser}: a passkey created, used and shown where it lives.`);
      return;
    }
    console.log(`
The demo site is open at ${rp.url('/demo')}.
  1. Type a username and click "Create a passkey": Keyplace's window asks where the passkey lives.
  2. Click "Sign in with a passkey", or focus the username field to see Keyplace's autofill.
  3. Open Keyplace's popup (the toolbar's puzzle menu, then Keyplace) to see where each passkey is.
The profile and its passkeys are thrown away at the end. Close the browser or press Ctrl+C to end the demo.`);
    await untilClosed(driver);
  } finally {
    await driver.close().catch(() => undefined);
    await rp.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`demo: ${err?.message ?? err}`);
    process.exit(1);
  },
);
