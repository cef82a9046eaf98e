// Each scenario file is written once and registers its tests for every selected browser:
//   forEachBrowser('Keyplace vault', { timeout: 240_000 }, (browser) => { before(() => browser.launch()) ... });
// KEYPLACE_BROWSERS=chromium,firefox selects the browsers (default: both). A browser missing on this
// machine skips its suite with the reason, never silently.
import { after, before, describe } from 'node:test';
import { startRpServer } from '../support/rp-server.mjs';
import { startSwtpm } from '../support/swtpm.mjs';
import { ChromiumDriver, chromiumUnavailable } from './chromium.mjs';
import { FirefoxDriver, firefoxUnavailable } from './firefox.mjs';

export { accountName, until } from './driver.mjs';

const DRIVERS = {
  chromium: { launch: (o) => ChromiumDriver.launch(o), unavailable: chromiumUnavailable },
  firefox: { launch: (o) => FirefoxDriver.launch(o), unavailable: firefoxUnavailable },
};

/** The browsers selected by KEYPLACE_BROWSERS (comma-separated), default every one. */
export const BROWSERS = (process.env.KEYPLACE_BROWSERS ?? 'chromium,firefox')
  .split(',')
  .map((b) => b.trim().toLowerCase())
  .filter(Boolean)
  .map((b) => {
    if (!DRIVERS[b]) throw new Error(`KEYPLACE_BROWSERS: unknown browser "${b}" (chromium, firefox)`);
    return b;
  });

/** Launches one browser by name with Keyplace (options: env, dataDir, and the driver's own). */
export function launchBrowser(name, options) {
  return DRIVERS[name].launch(options);
}

/** Why this browser cannot run here, or null. */
export function browserUnavailable(name) {
  return DRIVERS[name].unavailable();
}

/**
 * describe(`${title} [browser]`) once per selected browser. `options.skip` may be a string (skip all)
 * or a function of the browser name returning a reason or null. body({name, launch}) registers the tests.
 */
export function forEachBrowser(title, options, body) {
  for (const name of BROWSERS) {
    const skip =
      (typeof options.skip === 'function' ? options.skip(name) : options.skip) || DRIVERS[name].unavailable() || false;
    describe(`${title} [${name}]`, { ...options, skip }, () => body({ name, launch: (o) => DRIVERS[name].launch(o) }));
  }
}

/**
 * The set-up most scenarios share: the test relying party and this browser with Keyplace, on the RP's page, all
 * closed after the suite. `into(driver, rp, page)` hands them to the scenario's own variables; `launchOptions` may be
 * a function, called when the browser is launched.
 */
export function withRelyingPartyPage(browser, into, launchOptions) {
  let driver;
  let rp;
  before(async () => {
    rp = await startRpServer();
    driver = await browser.launch(typeof launchOptions === 'function' ? launchOptions() : launchOptions);
    into(driver, rp, await driver.openPage(rp.url('/')));
  });
  after(async () => {
    await driver?.close();
    await rp?.close();
  });
}

/**
 * withRelyingPartyPage with a software TPM of the suite's own (swtpm), which the host reaches through
 * KEYPLACE_TPM_TCTI inherited from the browser: `into(driver, rp, page, tpm)`.
 */
export function withTpmRelyingPartyPage(browser, into) {
  let tpm;
  before(async () => {
    tpm = await startSwtpm();
  });
  withRelyingPartyPage(browser, (driver, rp, page) => into(driver, rp, page, tpm), () => ({
    env: { KEYPLACE_TPM_TCTI: tpm.tcti, TSS2_LOG: 'all+none' },
  }));
  after(async () => {
    await tpm?.stop();
  });
}
