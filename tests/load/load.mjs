// Load: a Chromium host and a Firefox host (two keyplace-host processes, started with the argv each browser gives
// them) on one KEYPLACE_DATA_DIR, speaking the native messaging protocol directly, with many ceremonies in flight
// at once on both: registrations, sign-ins, renames and deletes, interleaved. Afterwards every passkey the model
// expects is listed with its last name and count, none that was deleted is, every signature verifies with its
// passkey's public key, and each passkey's counter values are exactly 1..n, none lost or handed out twice.
//
//   node tests/load/load.mjs [OPERATIONS] [--json]      (default 1000; KEYPLACE_HOST_BIN picks the binary)
//
// tests/load/load.test.mjs runs a smaller load in the test command; the full one's figures go in BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostBinary } from '../support/build-outputs.mjs';

const CHROMIUM_ORIGIN = 'chrome-extension://ipdamncjijplhbkhipddgambbnginfmp/';
const FIREFOX_ID = 'keyplace@keyplace.dev';
const PIN = '730194';
/** Requests each host has in flight at once, like a browser with several tabs. */
const IN_FLIGHT_PER_HOST = 4;
const SITES = ['bank.example', 'mail.example', 'shop.example', 'news.example'];

const b64u = (bytes) => Buffer.from(bytes).toString('base64url');

/** One host process and its framed JSON port; answers are matched to requests by id. */
class HostProcess {
  constructor(name, args, env) {
    this.name = name;
    this.nextId = 1;
    this.waiting = new Map();
    this.buffer = Buffer.alloc(0);
    this.stderr = '';
    this.child = spawn(hostBinary(), args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk) => this.read(chunk));
    this.child.stderr.on('data', (chunk) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    this.exited.then(({ code, signal }) => {
      for (const { reject } of this.waiting.values()) {
        reject(new Error(`${name} host exited (${code ?? signal}): ${this.stderr}`));
      }
      this.waiting.clear();
    });
  }

  read(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 4) {
      const len = this.buffer.readUInt32LE(0);
      if (this.buffer.length < 4 + len) return;
      const answer = JSON.parse(this.buffer.subarray(4, 4 + len).toString('utf8'));
      this.buffer = this.buffer.subarray(4 + len);
      const waiter = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      waiter?.resolve(answer);
    }
  }

  /** The answer's result; a host error rejects with its code and message. */
  async call(method, params) {
    const id = this.nextId++;
    const payload = Buffer.from(JSON.stringify({ id, method, params }));
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32LE(payload.length);
    const answer = await new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.stdin.write(Buffer.concat([prefix, payload]));
    });
    if (answer.error) throw new Error(`${this.name} ${method}: ${answer.error.code}: ${answer.error.message}`);
    return answer.result;
  }

  async close() {
    this.child.stdin.end();
    return this.exited;
  }
}

/** Mulberry32: the same interleaving for the same seed, so a failure can be run again. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function publicKeyOf(point) {
  const raw = Buffer.from(point, 'base64url');
  return createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33, 65)) },
    format: 'jwk',
  });
}

/**
 * Runs `operations` interleaved ceremonies on two hosts sharing one data directory and checks the result.
 * Returns the figures and every problem found (an empty `problems` means nothing was lost or repeated).
 */
export async function runLoad({ operations = 1000, seed = 1 } = {}) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'keyplace-load-'));
  const dataDir = path.join(root, 'data');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  // What `keyplace-host install` writes: the callers this host serves.
  const allowed = { chromium_origins: [CHROMIUM_ORIGIN], firefox_ids: [FIREFOX_ID] };
  await writeFile(path.join(dataDir, 'allowed-extensions.json'), JSON.stringify(allowed), { mode: 0o600 });
  const env = {
    ...process.env,
    HOME: root,
    KEYPLACE_DATA_DIR: dataDir,
    // The vault without a TPM: a load on the chip would measure swtpm.
    KEYPLACE_TPM_TCTI: 'device:/nonexistent/tpmrm0',
    // Nor the session's secret store: the run's vault stays PIN-only and leaves nothing in a real keyring.
    DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/keyplace-test-bus',
  };
  delete env.KEYPLACE_LOG;
  const hosts = [
    new HostProcess('chromium', [CHROMIUM_ORIGIN], env),
    new HostProcess('firefox', [path.join(root, 'com.keyplace.host.json'), FIREFOX_ID], env),
  ];
  const rand = random(seed);
  const problems = [];
  /** credential id → {rpId, publicKey, name, counts: [], busy, host} for every passkey that should exist. */
  const live = new Map();
  /** credential id → the same record, for passkeys deleted (their counters are checked too). */
  const deleted = new Map();
  const latencies = { create: [], sign: [], rename: [], delete: [] };
  const failures = { create: 0, sign: 0, rename: 0, delete: 0 };

  const create = async (host, pin) => {
    const rpId = SITES[Math.floor(rand() * SITES.length)];
    const name = `user-${randomBytes(4).toString('hex')}`;
    const result = await host.call('create', {
      store: 'vault',
      rp_id: rpId,
      user: { id: b64u(randomBytes(16)), name, display_name: name },
      pin,
      exclude_credential_ids: [],
      resident_key: true,
      require_user_verification: pin !== null,
    });
    live.set(result.credential_id, { rpId, publicKey: publicKeyOf(result.public_key), name, counts: [], busy: 0, renaming: false });
  };

  try {
    // Each host unlocks the vault once (the first sets its PIN), as each browser does at its first ceremony.
    await create(hosts[0], PIN);
    const [firstId, first] = [...live][0];
    const unlock = await hosts[1].call('sign', signParams(firstId, first.rpId, PIN));
    first.counts.push(unlock.sign_count);

    // A delete waits for no request on its passkey; two renames of one passkey could commit in either order.
    // Half the sign-ins use one passkey that is never deleted, so both hosts race on its counter all along.
    const idle = () => [...live].filter(([id, c]) => id !== firstId && c.busy === 0 && !c.renaming);
    const pick = (list) => list[Math.floor(rand() * list.length)];
    const one = async (host) => {
      const roll = rand();
      const kind = live.size < 3 || roll < 0.25 ? 'create' : roll < 0.75 ? 'sign' : roll < 0.88 ? 'rename' : 'delete';
      const started = performance.now();
      try {
        if (kind === 'create') {
          await create(host, null);
        } else if (kind === 'sign') {
          const [id, credential] = rand() < 0.5 ? [firstId, first] : pick([...live]);
          credential.busy++;
          try {
            const params = signParams(id, credential.rpId, null);
            const result = await host.call('sign', params);
            const data = Buffer.from(result.authenticator_data, 'base64url');
            if (data.readUInt32BE(33) !== result.sign_count) problems.push(`sign of ${id}: counter bytes differ`);
            const signed = Buffer.concat([data, Buffer.from(params.client_data_hash, 'base64url')]);
            const signature = Buffer.from(result.signature, 'base64url');
            if (!verify('sha256', signed, credential.publicKey, signature)) {
              problems.push(`sign of ${id}: the signature does not verify with its public key`);
            }
            credential.counts.push(result.sign_count);
          } finally {
            credential.busy--;
          }
        } else if (kind === 'rename') {
          const candidates = [...live].filter(([, c]) => !c.renaming);
          if (candidates.length === 0) return;
          const [id, credential] = pick(candidates);
          const name = `renamed-${randomBytes(4).toString('hex')}`;
          credential.renaming = true;
          try {
            const result = await host.call('rename', { credential_id: id, user_name: name });
            if (!result.renamed) problems.push(`rename of ${id}: not renamed`);
            credential.name = name;
          } finally {
            credential.renaming = false;
          }
        } else {
          const candidates = idle();
          if (candidates.length === 0) return;
          const [id, credential] = pick(candidates);
          live.delete(id); // no other request picks it from now on
          const result = await host.call('delete', { credential_id: id });
          if (!result.deleted) problems.push(`delete of ${id}: not deleted`);
          deleted.set(id, credential);
        }
        latencies[kind].push(performance.now() - started);
      } catch (err) {
        failures[kind]++;
        problems.push(String(err.message ?? err));
      }
    };

    let issued = 0;
    const started = performance.now();
    const worker = async (host) => {
      while (issued < operations) {
        issued++;
        await one(host);
      }
    };
    await Promise.all(hosts.flatMap((host) => Array.from({ length: IN_FLIGHT_PER_HOST }, () => worker(host))));
    const seconds = (performance.now() - started) / 1000;

    // What the database holds, read back through each host (paged as the popup does).
    for (const host of hosts) {
      const listed = new Map();
      let after = null;
      do {
        const page = await host.call('list', { after, limit: 100 });
        for (const row of page.credentials) listed.set(row.credential_id, row);
        after = page.next;
      } while (after);
      for (const [id, credential] of live) {
        const row = listed.get(id);
        if (!row) {
          problems.push(`${host.name}: passkey ${id} was lost`);
          continue;
        }
        if (row.user_name !== credential.name) problems.push(`${host.name}: ${id} is named ${row.user_name}`);
        if (row.sign_count !== credential.counts.length) {
          problems.push(`${host.name}: ${id} counts ${row.sign_count}, ${credential.counts.length} signatures`);
        }
      }
      for (const id of deleted.keys()) if (listed.has(id)) problems.push(`${host.name}: deleted passkey ${id} is back`);
      if (listed.size !== live.size) problems.push(`${host.name}: lists ${listed.size}, expected ${live.size}`);
    }
    let counters = 0;
    for (const [id, credential] of [...live, ...deleted]) {
      const sorted = [...credential.counts].sort((a, b) => a - b);
      counters += sorted.length;
      const expected = sorted.map((_, i) => i + 1);
      if (sorted.join() !== expected.join()) problems.push(`${id}: counters ${sorted.join()} are not 1..${sorted.length}`);
    }

    const perOperation = Object.fromEntries(
      Object.entries(latencies).map(([kind, list]) => {
        const sorted = [...list].sort((a, b) => a - b);
        return [kind, { count: sorted.length, failed: failures[kind], p50: percentile(sorted, 50), p95: percentile(sorted, 95) }];
      }),
    );
    const completed = Object.values(latencies).reduce((sum, list) => sum + list.length, 0);
    return {
      operations: completed,
      seconds,
      throughput: completed / seconds,
      perOperation,
      passkeys: live.size,
      deleted: deleted.size,
      counters,
      busiest: first.counts.length,
      problems,
    };
  } finally {
    for (const host of hosts) {
      const { code, signal } = await host.close();
      if (code !== 0) problems.push(`${host.name} host ended with ${code ?? signal}: ${host.stderr}`);
    }
    await rm(root, { recursive: true, force: true });
  }
}

function signParams(credentialId, rpId, pin) {
  const authenticatorData = Buffer.concat([createHash('sha256').update(rpId).digest(), Buffer.from([0x01, 0, 0, 0, 0])]);
  return {
    credential_id: credentialId,
    authenticator_data: b64u(authenticatorData),
    client_data_hash: b64u(randomBytes(32)),
    pin,
    require_user_verification: pin !== null,
  };
}

export function formatFigures(figures) {
  const ms = (value) => `${value.toFixed(1)} ms`;
  const lines = [
    `${figures.operations} operations on 2 hosts in ${figures.seconds.toFixed(1)} s: ${figures.throughput.toFixed(0)} operations/s`,
    `${figures.passkeys} passkeys kept, ${figures.deleted} deleted, ${figures.counters} counter values checked ` +
      `(${figures.busiest} on one passkey both hosts signed with)`,
    '| operation | count | failed | p50 | p95 |',
    '|---|---|---|---|---|',
  ];
  for (const [kind, f] of Object.entries(figures.perOperation)) {
    lines.push(`| ${kind} | ${f.count} | ${f.failed} | ${ms(f.p50)} | ${ms(f.p95)} |`);
  }
  lines.push(figures.problems.length === 0 ? 'problems: none' : `problems (${figures.problems.length}):`);
  for (const problem of figures.problems.slice(0, 20)) lines.push(`  ${problem}`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const operations = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1000);
  if (!existsSync(hostBinary())) {
    console.error(`${hostBinary()} is missing: build it (xtask/xtask.sh build) or set KEYPLACE_HOST_BIN`);
    process.exit(2);
  }
  const figures = await runLoad({ operations });
  console.log(process.argv.includes('--json') ? JSON.stringify(figures, null, 2) : formatFigures(figures));
  process.exitCode = figures.problems.length === 0 ? 0 : 1;
}
