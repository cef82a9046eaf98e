// keyplace-host as a second process on a browser's data dir (as the other browser's host would be), speaking the
// native messaging protocol (4-byte length + JSON) directly: for scenarios that check what the store holds.
import { spawn } from 'node:child_process';
import { hostBinary } from './build-outputs.mjs';

/** keyplace-host as a second process on the browser's data dir (as the other browser would be): framed JSON. No TPM
 * unless `driver.tcti` names one. */
export function hostClient(driver) {
  const child = spawn(hostBinary(), driver.hostArgs, {
    env: {
      ...process.env,
      HOME: driver.dirs.home,
      KEYPLACE_DATA_DIR: driver.dirs.data,
      KEYPLACE_TPM_TCTI: driver.tcti ?? 'device:/nonexistent/tpmrm0',
      TSS2_LOG: 'all+none',
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let buffer = Buffer.alloc(0);
  const waiting = new Map();
  let next = 1;
  child.stdout.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4 && buffer.length >= 4 + buffer.readUInt32LE(0)) {
      const length = buffer.readUInt32LE(0);
      const answer = JSON.parse(buffer.subarray(4, 4 + length).toString('utf8'));
      buffer = buffer.subarray(4 + length);
      waiting.get(answer.id)?.(answer);
      waiting.delete(answer.id);
    }
  });
  return {
    call(method, params = {}) {
      const id = next++;
      const body = Buffer.from(JSON.stringify({ id, method, params }));
      const header = Buffer.alloc(4);
      header.writeUInt32LE(body.length);
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        child.stdin.write(Buffer.concat([header, body]));
      });
    },
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.stdin.end();
      }),
  };
}

