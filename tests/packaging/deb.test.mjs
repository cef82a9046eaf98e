// xtask/deb.sh: the host as a Debian package. Packs the debug host the build already made (the release one takes
// minutes on two cores; `xtask/xtask.sh deb` packs that one the same way), twice with zstd (the same bytes, a
// twentieth of xz's time), then installs it with dpkg into a root of its own whose dpkg database holds this
// machine's entries for the package's dependencies: dpkg checks the real Depends, and nothing outside the temporary
// folder changes. From there the installed `keyplace-host doctor` must pass and the installed host must serve the
// extension as a browser starts it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, hostBinary } from '../support/build-outputs.mjs';

const run = promisify(execFile);
const DEV_CHROMIUM_ID = 'ipdamncjijplhbkhipddgambbnginfmp';
const DEV_ORIGIN = `chrome-extension://${DEV_CHROMIUM_ID}/`;
const EPOCH = 1_767_225_600; // 2026-01-01T00:00:00Z
const SYSTEM_MANIFESTS = [
  'etc/chromium/native-messaging-hosts/com.keyplace.host.json',
  'etc/opt/chrome/native-messaging-hosts/com.keyplace.host.json',
  'etc/opt/edge/native-messaging-hosts/com.keyplace.host.json',
  'usr/lib/mozilla/native-messaging-hosts/com.keyplace.host.json',
];
const FILES = [
  ...SYSTEM_MANIFESTS,
  'etc/keyplace/allowed-extensions.json',
  'usr/bin/keyplace-host',
  'usr/share/doc/keyplace-host/changelog.Debian.gz',
  'usr/share/doc/keyplace-host/copyright',
].sort();

const why = !existsSync('/usr/bin/dpkg-deb')
  ? 'dpkg-deb is not installed'
  : !existsSync(hostBinary())
    ? `not built: ${hostBinary()}`
    : false;

/** The Chromium extension id a manifest "key" gives: SHA-256 of the key, first 32 hex digits mapped 0-f → a-p. */
function chromiumIdOf(key) {
  const hex = createHash('sha256').update(Buffer.from(key, 'base64')).digest('hex').slice(0, 32);
  return [...hex].map((digit) => String.fromCharCode(97 + Number.parseInt(digit, 16))).join('');
}

/** One request to a host started as Chromium starts it, and its answer (4-byte length + JSON each way). */
function askHost(program, env, request) {
  return new Promise((resolve, reject) => {
    const child = spawn(program, [DEV_ORIGIN, '--parent-window=0'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = Buffer.alloc(0);
    let err = '';
    child.stdout.on('data', (chunk) => {
      out = Buffer.concat([out, chunk]);
      if (out.length >= 4 && out.length >= 4 + out.readUInt32LE(0)) {
        child.stdin.end();
        resolve(JSON.parse(out.subarray(4, 4 + out.readUInt32LE(0)).toString('utf8')));
      }
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`host exited with ${code} before answering: ${err}`)));
    const body = Buffer.from(JSON.stringify(request));
    const header = Buffer.alloc(4);
    header.writeUInt32LE(body.length);
    child.stdin.write(Buffer.concat([header, body]));
  });
}

describe('xtask/deb.sh', { skip: why }, () => {
  let tmp;
  let deb;
  let root;
  let env;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'keyplace-deb-'));
    const pack = async (out) => {
      const { stdout } = await run(
        path.join(REPO_ROOT, 'xtask/deb.sh'),
        ['--binary', hostBinary(), '--out', out, '--compress', 'zstd'],
        { env: { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) }, maxBuffer: 1 << 20 },
      );
      return stdout.trim().split('\n').at(-1);
    };
    deb = await pack(path.join(tmp, 'first'));
    root = path.join(tmp, 'root');
    env = {
      PATH: process.env.PATH,
      HOME: path.join(tmp, 'home'),
      KEYPLACE_DATA_DIR: path.join(tmp, 'data'),
      KEYPLACE_SYSTEM_ROOT: root,
      // No real TPM and no session keyring: the machine's own stay out of the test.
      KEYPLACE_TPM_TCTI: 'device:/nonexistent/tpmrm0',
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/keyplace-test-bus',
    };
    await mkdir(env.HOME, { recursive: true });
  });

  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('gives the same bytes when packed again', async () => {
    const second = await run(
      path.join(REPO_ROOT, 'xtask/deb.sh'),
      ['--binary', hostBinary(), '--out', path.join(tmp, 'second'), '--compress', 'zstd'],
      { env: { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) } },
    );
    const sha = async (file) =>
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
    assert.equal(await sha(second.stdout.trim().split('\n').at(-1)), await sha(deb));
  });

  it('has a control file with the dependencies dpkg-shlibdeps found, and /etc as conffiles', async () => {
    const arch = (await run('dpkg', ['--print-architecture'])).stdout.trim();
    assert.equal(path.basename(deb), `keyplace-host_0.1.0_${arch}.deb`);
    const field = async (name) => (await run('dpkg-deb', ['--field', deb, name])).stdout.trim();
    assert.equal(await field('Package'), 'keyplace-host');
    assert.equal(await field('Architecture'), arch);
    const depends = await field('Depends');
    for (const library of ['libc6', 'libtss2-esys', 'libtss2-mu', 'libtss2-tctildr']) {
      assert.match(depends, new RegExp(`(^|, )${library}[^,]* \\(>= `), depends);
    }
    assert.match(await field('Recommends'), /^libtss2-tcti-device0/);
    assert.match(await field('Installed-Size'), /^\d+$/);
    const { stdout: conffiles } = await run('dpkg-deb', ['--info', deb, 'conffiles']);
    assert.deepEqual(
      conffiles.trim().split('\n'),
      FILES.filter((file) => file.startsWith('etc/')).map((file) => `/${file}`),
    );
  });

  it('holds exactly the host, the four browsers’ manifests, the allowed list and the docs, root-owned, fixed modes and times, sorted', async () => {
    const { stdout } = await run('dpkg-deb', ['--contents', deb]);
    const rows = stdout
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/));
    const stamp = new Date(EPOCH * 1000);
    const local = `${stamp.getFullYear()}-${String(stamp.getMonth() + 1).padStart(2, '0')}-${String(stamp.getDate()).padStart(2, '0')}`;
    for (const [mode, owner, , date] of rows) {
      assert.equal(owner, 'root/root');
      assert.equal(date, local);
      assert.ok(['drwxr-xr-x', '-rw-r--r--', '-rwxr-xr-x'].includes(mode), mode);
    }
    const files = rows.filter(([mode]) => mode.startsWith('-')).map((row) => row.at(-1).replace(/^\.\//, ''));
    assert.deepEqual([...files].sort(), FILES);
    const modeOf = (file) => rows.find((row) => row.at(-1) === `./${file}`)[0];
    assert.equal(modeOf('usr/bin/keyplace-host'), '-rwxr-xr-x');
    for (const file of SYSTEM_MANIFESTS) assert.equal(modeOf(file), '-rw-r--r--');
    const names = rows.map((row) => row.at(-1));
    assert.deepEqual(names, [...names].sort(), 'entries are sorted');
  });

  it('installs with dpkg (its Depends met by this machine’s packages), and the installed doctor passes', async () => {
    // A dpkg database of our own, holding only this machine's entries for the dependencies.
    const { stdout: depends } = await run('dpkg-deb', ['--field', deb, 'Depends']);
    const names = depends.split(',').map((entry) => entry.trim().split(/[\s(|]/)[0]);
    const { stdout: status } = await run('dpkg-query', ['--status', ...names]);
    await mkdir(path.join(root, 'var/lib/dpkg/info'), { recursive: true });
    await mkdir(path.join(root, 'var/lib/dpkg/updates'), { recursive: true });
    await writeFile(path.join(root, 'var/lib/dpkg/status'), `${status.trim()}\n`);
    await run('dpkg', ['--root', root, '--force-not-root', '--log=/dev/null', '--install', deb]);
    const { stdout: state } = await run('dpkg-query', [
      '--admindir',
      path.join(root, 'var/lib/dpkg'),
      '--status',
      'keyplace-host',
    ]);
    assert.match(state, /^Status: install ok installed$/m);

    // The manifests name the installed program and Keyplace's ids (manifests/*.json: Chromium's from its key).
    const chromiumManifest = JSON.parse(await readFile(path.join(REPO_ROOT, 'manifests/chromium.json'), 'utf8'));
    const firefoxManifest = JSON.parse(await readFile(path.join(REPO_ROOT, 'manifests/firefox.json'), 'utf8'));
    assert.equal(chromiumIdOf(chromiumManifest.key), DEV_CHROMIUM_ID);
    for (const file of SYSTEM_MANIFESTS) {
      const manifest = JSON.parse(await readFile(path.join(root, file), 'utf8'));
      assert.equal(manifest.name, 'com.keyplace.host');
      assert.equal(manifest.path, '/usr/bin/keyplace-host');
      if (file.includes('mozilla')) {
        assert.deepEqual(manifest.allowed_extensions, [firefoxManifest.browser_specific_settings.gecko.id]);
      } else {
        assert.deepEqual(manifest.allowed_origins, [DEV_ORIGIN]);
      }
    }

    const doctor = await run(path.join(root, 'usr/bin/keyplace-host'), ['doctor'], { env }).catch((error) => error);
    const report = `${doctor.stdout}`;
    assert.equal(doctor.code ?? 0, 0, report);
    assert.match(report, /Keyplace is ready\./);
    assert.ok(
      report.includes(`✓ Chromium: registered for every user in ${path.join(root, SYSTEM_MANIFESTS[0])}`),
      report,
    );
    assert.ok(
      report.includes(`✓ Firefox: registered for every user in ${path.join(root, SYSTEM_MANIFESTS[3])}`),
      report,
    );
    assert.ok(report.includes(`${path.join(root, 'etc/keyplace/allowed-extensions.json')}): ${DEV_ORIGIN}`), report);
  });

  it('the installed host serves the extension for a user who never ran install (the system list allows it)', async () => {
    assert.equal(existsSync(path.join(env.KEYPLACE_DATA_DIR, 'allowed-extensions.json')), false);
    const answer = await askHost(path.join(root, 'usr/bin/keyplace-host'), env, { id: 1, method: 'hello', params: {} });
    assert.equal(answer.id, 1);
    assert.ok(answer.result, JSON.stringify(answer));
    assert.equal(answer.result.stores[0].id, 'vault');
  });

  it('is removed by dpkg --purge, leaving nothing behind', async () => {
    await run('dpkg', ['--root', root, '--force-not-root', '--log=/dev/null', '--purge', 'keyplace-host']);
    const left = [];
    for (const top of ['etc', 'usr']) {
      const walk = async (dir) => {
        for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
          const full = path.join(dir, entry.name);
          if (entry.isDirectory()) await walk(full);
          else left.push(path.relative(root, full));
        }
      };
      await walk(path.join(root, top));
    }
    assert.deepEqual(left, []);
  });
});
