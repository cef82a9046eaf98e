// `keyplace-host doctor` beside a running browser with Keyplace, in the browser's own folders: it finds the
// registration the test installed and, in Chromium, reads from the real profile which Keyplace it has (the
// extension id, from Chromium's own Preferences) and says the host allows it. Firefox keeps a temporary add-on (how
// the tests load Keyplace) out of the profile's extensions.json, so there the id check is unit-tested only
// (native-host/src/cli/profiles.rs); the registration check runs in both.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { promisify } from 'node:util';
import { forEachBrowser, until } from '../drivers/index.mjs';
import { hostBinary } from '../support/build-outputs.mjs';

const run = promisify(execFile);
const CHROMIUM_ID = 'ipdamncjijplhbkhipddgambbnginfmp';

forEachBrowser('doctor beside a running browser', { timeout: 120_000 }, (browser) => {
  let driver;

  before(async () => {
    driver = await browser.launch();
  });
  after(async () => {
    await driver?.close();
  });

  /** doctor's report (and exit code) with the browser's HOME and data folder, and no system registration. */
  async function doctor() {
    const args = driver.name === 'chromium' ? ['doctor', '--profile-dir', driver.dirs.profile] : ['doctor'];
    const env = {
      ...process.env,
      HOME: driver.dirs.home,
      XDG_CONFIG_HOME: path.join(driver.dirs.home, '.config'),
      KEYPLACE_DATA_DIR: driver.dirs.data,
      KEYPLACE_SYSTEM_ROOT: path.join(driver.dirs.root, 'no-system'),
      KEYPLACE_TPM_TCTI: 'device:/nonexistent/tpmrm0',
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/keyplace-test-bus',
    };
    const outcome = await run(hostBinary(), args, { env }).catch((error) => error);
    return { report: String(outcome.stdout), code: outcome.code ?? 0 };
  }

  it('finds the registration the browser reads and passes', async () => {
    const { report, code } = await doctor();
    assert.equal(code, 0, report);
    assert.match(report, /Keyplace is ready\./);
    assert.ok(report.includes(`registered in ${driver.nativeHostManifest}`), report);
  });

  const notInProfile = browser.name === 'firefox' && 'Firefox keeps a temporary add-on out of extensions.json';
  it('reads the extension id the browser profile really has and compares it with the registered one', {
    skip: notInProfile,
  }, async () => {
    // Chromium writes the extension's settings into Preferences soon after start: wait for doctor to see them.
    const expected = `(profile Default) has Keyplace as ${CHROMIUM_ID}, and the host allows it`;
    const report = await until('doctor to read the profile', async () => {
      const { report } = await doctor();
      return report.includes(expected) && report;
    });
    assert.ok(report.includes(`✓ Chromium with --user-data-dir ${driver.dirs.profile} ${expected}`), report);
  });
});
