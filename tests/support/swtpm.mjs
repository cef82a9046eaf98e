// One software TPM 2.0 (swtpm) per test file, on a random free TCP port pair, so tests never share the
// chip's lockout counter. Ready when swtpm has written its pid file, which it does after both sockets
// listen (probing by connecting would disturb a one-client server).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export function swtpmAvailable() {
  try {
    execFileSync('swtpm', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePortPair() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + 2 * Math.floor(Math.random() * 6383);
    if ((await portIsFree(port)) && (await portIsFree(port + 1))) return port;
  }
  throw new Error('no free port pair for swtpm');
}

async function waitForPidFile(child, pidFile, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    const text = await readFile(pidFile, 'utf8').catch(() => '');
    if (text.trim() === String(child.pid)) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`swtpm did not start within ${deadlineMs} ms`);
}

/** Starts swtpm; returns {tcti, stop()}. Retries on a port race (swtpm exits at once). */
export async function startSwtpm() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'keyplace-swtpm-'));
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePortPair();
    const pidFile = path.join(dir, `swtpm-${port}.pid`);
    const child = spawn(
      'swtpm',
      [
        'socket', '--tpm2', '--tpmstate', `dir=${dir}`,
        '--server', `type=tcp,port=${port},bindaddr=127.0.0.1`,
        '--ctrl', `type=tcp,port=${port + 1},bindaddr=127.0.0.1`,
        '--flags', 'not-need-init,startup-clear',
        '--pid', `file=${pidFile}`,
      ],
      { stdio: 'ignore' },
    );
    if (await waitForPidFile(child, pidFile, 10_000)) {
      return {
        tcti: `swtpm:host=127.0.0.1,port=${port}`,
        async stop() {
          if (child.exitCode === null) {
            const exited = new Promise((r) => child.once('exit', r));
            child.kill('SIGTERM');
            await exited;
          }
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error('swtpm exited at start five times');
}
