// Your devices in the scenarios: other computers are keyplace-host's CLI and host on data dirs of their own, each
// with its own software TPM or none, beside the browser's computer. Used by devices.test.mjs,
// chip-copies.test.mjs and recovery-sheet.test.mjs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hostBinary } from './build-outputs.mjs';
import { hostClient } from './host-client.mjs';

export const NO_TPM = 'device:/nonexistent/tpmrm0';

const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
const sha256 = (data) => createHash('sha256').update(data).digest();

/** keyplace-host's CLI as one device (its own data dir and TPM), `pin` on standard input; resolves with stdout. */
export function deviceCli(dataDir, args, { pin, tcti = NO_TPM, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(hostBinary(), args, {
      cwd,
      env: { ...process.env, KEYPLACE_DATA_DIR: dataDir, KEYPLACE_TPM_TCTI: tcti, TSS2_LOG: 'all+none' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`keyplace-host ${args.join(' ')} exited ${code}: ${stderr}${stdout}`)),
    );
    child.stdin.end(pin === undefined ? '' : `${pin}\n`);
  });
}

/** keyplace-host (the browser's argv) on another device's data dir, which allows the same extension. */
export async function withHostOn(driver, dataDir, use, { tcti = NO_TPM } = {}) {
  if (dataDir !== driver.dirs.data) {
    await copyFile(
      path.join(driver.dirs.data, 'allowed-extensions.json'),
      path.join(dataDir, 'allowed-extensions.json'),
    );
  }
  const host = hostClient({ hostArgs: driver.hostArgs, dirs: { home: driver.dirs.home, data: dataDir }, tcti });
  try {
    return await use(host);
  } finally {
    await host.close();
  }
}

/** A sign-in at the relying party answered by the host on `dataDir` (not the browser): the RP's verdict. */
export function signAtRelyingParty({ driver, rp, dataDir, credentialId, username, pin, tcti }) {
  return withHostOn(
    driver,
    dataDir,
    async (host) => {
      const post = async (route, body) =>
        (
          await fetch(rp.url(route), {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
        ).json();
      const { flowId, options } = await post('/api/login/options', { username, userVerification: 'required' });
      const clientDataJSON = Buffer.from(
        JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin: rp.origin, crossOrigin: false }),
      );
      const data = Buffer.concat([sha256('localhost'), Buffer.from([0x01, 0, 0, 0, 0])]);
      const signed = await host.call('sign', {
        credential_id: credentialId,
        authenticator_data: b64u(data),
        client_data_hash: b64u(sha256(clientDataJSON)),
        pin,
        require_user_verification: true,
      });
      assert.equal(signed.error, undefined, JSON.stringify(signed.error));
      return post('/api/login/verify', {
        flowId,
        response: {
          id: credentialId,
          rawId: credentialId,
          type: 'public-key',
          clientExtensionResults: {},
          response: {
            clientDataJSON: b64u(clientDataJSON),
            authenticatorData: signed.result.authenticator_data,
            signature: signed.result.signature,
            userHandle: signed.result.user_handle,
          },
        },
      });
    },
    { tcti },
  );
}

/** In the browser computer's popup: "Start your devices here…" as `name`. */
export async function startDevicesInPopup(popup, name, pin) {
  await popup.click('button', 'Start your devices here…');
  await popup.waitFor('dialog', 'Start your devices here');
  await popup.fill('Name of this computer', name);
  await popup.fill('Vault PIN of this computer', pin);
  await popup.click('button', 'Start');
  await popup.waitForTextIn('status', /first of your devices/);
  await popup.click('button', 'Done');
}

/**
 * The device on `dataDir` asks to join (CLI), the browser computer's popup shows its short code and approves it with
 * `pin`, and the device accepts the ring. `openPopup` opens the browser computer's popup.
 */
export async function joinThroughPopup({ openPopup, dataDir, name, work, pin, tcti }) {
  const join = path.join(work, `${name}-join.json`);
  const ring = path.join(work, `${name}-ring.json`);
  const said = await deviceCli(dataDir, ['devices', 'join-request', '--name', name, '--out', join, '--pin-stdin'], {
    pin,
    tcti,
  });
  const shortCode = said.match(/Short code: (\S+)/)[1];
  const popup = await openPopup();
  await popup.click('button', 'Add a device…');
  await popup.waitFor('dialog', 'Add a device');
  await popup.fill('Join request', await readFile(join, 'utf8'));
  await popup.waitForTextIn('status', `"${name}" asks to join your devices. Short code ${shortCode}`);
  await popup.fill('Vault PIN of this computer', pin);
  await popup.click('button', 'Approve this device');
  await popup.waitFor('textbox', 'Ring to carry back');
  await writeFile(ring, await popup.value('textbox', 'Ring to carry back'));
  await popup.click('button', 'Done');
  await popup.close();
  await deviceCli(dataDir, ['devices', 'accept', ring], { tcti });
}
