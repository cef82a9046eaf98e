#!/usr/bin/env node
// Keyplace benchmark: one Chromium session with the extension and host; N create+get ceremonies through
// the Keyplace vault (timed by the extension's own metrics, so the test's clicking is excluded) beside N
// through Chromium's own virtual authenticator (timed in the page). Reports every performance budget as
// met / not met / not measured yet, writes BENCHMARKS.md at the repo root and prints it.
// Nothing here asserts on time.
import { autofillVisible, shownAfter } from './autofill.mjs';
import { devicesCopyFigures } from './devices.mjs';
import { vaultUnlockFigures } from './vault.mjs';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startCeremonyIn as startCeremony } from '../drivers/chromium.mjs';
import {
  browserEnv,
  CHROMIUM,
  checkBuildOutputs,
  chromiumArgs,
  chromiumVersion,
  EXTENSION_DIR,
  EXTENSION_ORIGIN,
  extensionManifest,
  hostBinary,
  installHost,
  launchKeyplace,
  makeTempDirs,
  REPO_ROOT,
  serviceWorker,
  virtualAuthenticator,
} from '../drivers/chromium-launch.mjs';
import { accountName } from '../drivers/driver.mjs';
import { startRpServer } from '../support/rp-server.mjs';
import { startSwtpm, swtpmAvailable } from '../support/swtpm.mjs';
import { COLD_N, LOAD_N, N, PING_N, POPUP_N, SHIM_K, SHIM_N } from './config.mjs';
import { firefoxBench } from './firefox.mjs';
import { chromiumFloors } from './floors.mjs';
import { render } from './report.mjs';

/** Parts left out of a quick check (BENCH_SKIP=host,firefox): its report goes to a temp file, not BENCHMARKS.md. */
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const PIN = '582046';
const KEY_PIN = '7391'; // each hardware passkey's own PIN (its TPM authValue)
const execFileAsync = promisify(execFile);

// ---------- the consent window, driven like a person would ----------
// PIN fields appear synchronously when the Vault radio is checked (the window already has its details),
// so their visibility right after check() says whether this ceremony needs a PIN.
async function fillPinIfAsked(win) {
  if (await win.isVisible(null, 'PIN')) await win.fill('PIN', PIN);
  if (await win.isVisible(null, 'Confirm PIN')) await win.fill('Confirm PIN', PIN);
}

async function vaultCreate(context, page, username) {
  const { win, result } = await startCeremony(
    context,
    page,
    (u) =>
      kp.register({
        username: u,
        userVerification: 'discouraged',
        requireUserVerification: false,
        residentKey: 'discouraged',
      }),
    username,
  );
  await win.check('radio', /^Vault/);
  await win.fill('Account name', username);
  await fillPinIfAsked(win);
  await win.clickAndClose('Create passkey');
  return result;
}

async function vaultGet(context, page, username, id) {
  const { win, result } = await startCeremony(
    context,
    page,
    (cid) => kp.login({ allowCredentials: [cid], userVerification: 'discouraged', requireUserVerification: false }),
    id,
  );
  await win.check('radio', accountName(username));
  await fillPinIfAsked(win);
  await win.clickAndClose('Sign in');
  return result;
}

// Hardware (TPM on swtpm): the passkey gets its own PIN at registration (PIN + Confirm PIN) and needs it to sign.
async function hardwareCreate(context, page, username) {
  const { win, result } = await startCeremony(
    context,
    page,
    (u) =>
      kp.register({
        username: u,
        userVerification: 'discouraged',
        requireUserVerification: false,
        residentKey: 'discouraged',
      }),
    username,
  );
  await win.createInHardware({ account: username, pin: KEY_PIN });
  return result;
}

async function hardwareGet(context, page, username, id) {
  const { win, result } = await startCeremony(
    context,
    page,
    (cid) => kp.login({ allowCredentials: [cid], userVerification: 'discouraged', requireUserVerification: false }),
    id,
  );
  await win.signIn({ account: username, pin: KEY_PIN });
  return result;
}

function must(verdict, what) {
  if (!verdict?.verified) throw new Error(`${what} was not verified: ${JSON.stringify(verdict)}`);
  return verdict;
}

// ---------- sizes ----------
async function filesUnder(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else out.push(full);
  }
  return out;
}

async function sizes() {
  const manifest = await extensionManifest();
  const wasm = (await filesUnder(EXTENSION_DIR)).filter((f) => f.endsWith('.wasm'));
  const wasmFiles = await Promise.all(
    wasm.map(async (f) => ({ file: path.relative(EXTENSION_DIR, f), bytes: (await stat(f)).size })),
  );
  const shimNames = (manifest.content_scripts ?? []).filter((cs) => cs.world === 'MAIN').flatMap((cs) => cs.js ?? []);
  const shimFiles = await Promise.all(
    shimNames.map(async (name) => {
      const body = await readFile(path.join(EXTENSION_DIR, name));
      return { file: name, bytes: body.length, gzip: gzipSync(body).length };
    }),
  );
  return { wasmFiles, shimFiles };
}

// ---------- host process memory (our own child, found by its data dir) ----------
async function hostRssKb(dataDir) {
  const found = [];
  for (const pid of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
      if (!comm.startsWith('keyplace-host')) continue;
      const env = await readFile(`/proc/${pid}/environ`, 'utf8');
      if (!env.split('\0').includes(`KEYPLACE_DATA_DIR=${dataDir}`)) continue;
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
      if (Number.isFinite(rss)) found.push(rss);
    } catch {
      // the process went away or is not ours
    }
  }
  return found.length ? Math.max(...found) : null;
}

// ---------- host-side figures: native-host/examples/host_bench.rs ----------
// Runs before any browser starts so that nothing else competes for the CPU. Leaves copies of its populated
// data directory (2,000 and 10,000 vault passkeys) in `dataOut` for the popup measurement.
async function hostBench(dataOut, notes) {
  const bin = hostBinary();
  if (bin.includes(`${path.sep}debug${path.sep}`))
    notes.push(`Host figures come from a debug build (${bin}); \`xtask/xtask.sh bench\` uses a release build.`);
  try {
    const { stdout } = await execFileAsync(
      'cargo',
      ['run', '--release', '--quiet', '-p', 'keyplace-host', '--example', 'host_bench'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, KEYPLACE_HOST_BIN: bin, HOST_BENCH_DATA_OUT: dataOut, TSS2_LOG: 'all+none' },
        maxBuffer: 16 * 1024 * 1024,
        timeout: 15 * 60_000,
      },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1));
  } catch (err) {
    notes.push(
      `host_bench failed, host-side figures missing: ${String(err.stderr || err.message)
        .trim()
        .split('\n')
        .slice(-3)
        .join(' / ')}`,
    );
    return null;
  }
}

// ---------- a plain page for the shim and page-load measurements (no script of its own) ----------
async function startPlainServer() {
  const html =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>plain</title></head><body><h1>Plain page</h1><p>Nothing but text.</p></body></html>';
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/plain.html`,
    close: () => new Promise((r) => server.close(r)),
  };
}

// Shim work per page: in a Chromium WITHOUT the extension, each of SHIM_N fresh tabs loads the plain page and
// makes 2×K same-origin about:blank iframes (each a fresh window, as a page is for the shim); the shim's built
// source is then run in K of them as an inline <script>, performance.now() read once around all
// K (the page clock has 0.1 ms resolution; ÷K gives the per-page figure). "cold": a per-frame comment makes
// each source unique, so V8 parses and compiles it; "warm": the same source every time after one untimed
// priming run, so V8's in-process compilation cache serves it and mostly the run itself is timed.
async function shimWork(plain, shimSource) {
  const cold = [];
  const warm = [];
  const empty = [];
  for (let i = 0; i < SHIM_N + 2; i++) {
    const page = await plain.context.newPage();
    await page.goto(plain.url, { waitUntil: 'load' });
    const r = await page.evaluate(
      async ({ src, k, run }) => {
        const frames = [];
        for (let j = 0; j < 3 * k + 1; j++) {
          const f = document.createElement('iframe');
          document.body.append(f);
          frames.push(f.contentWindow);
        }
        // What each frame has before the shim: after it, create is the shim's (there is no global marker).
        const natives = frames.map((w) => w.CredentialsContainer.prototype.create);
        // An inline <script> runs synchronously when appended and is compiled as a classic script, as a
        // content script is (V8's script cache is shared by the frames of one renderer; eval's is not).
        const timeAll = (wins, sources) => {
          const scripts = wins.map((w, j) => {
            const el = w.document.createElement('script');
            el.textContent = sources[j];
            return el;
          });
          const t0 = performance.now();
          for (let j = 0; j < wins.length; j++) wins[j].document.head.append(scripts[j]);
          return (performance.now() - t0) / wins.length;
        };
        const unique = frames.slice(0, k).map((_, j) => `${src}\n//# cold ${run} ${j} ${Math.random()}`);
        const same = `${src}\n//# warm ${run}`;
        timeAll([frames[2 * k]], [same]); // priming: compiles once
        const coldMs = timeAll(frames.slice(0, k), unique);
        const warmMs = timeAll(
          frames.slice(k, 2 * k),
          frames.slice(k, 2 * k).map(() => same),
        );
        // Baseline: what inserting any (empty, unique) inline script into a frame costs, shim or not.
        const emptyMs = timeAll(
          frames.slice(2 * k, 3 * k),
          frames.slice(2 * k, 3 * k).map((_, j) => `//# empty ${run} ${j} ${Math.random()}`),
        );
        if (!frames.slice(0, 2 * k).every((w, j) => w.CredentialsContainer.prototype.create !== natives[j]))
          throw new Error('an evaluated shim did not install itself');
        return { coldMs, warmMs, emptyMs };
      },
      { src: shimSource, k: SHIM_K, run: i },
    );
    await page.close();
    if (i >= 2) {
      cold.push(r.coldMs);
      warm.push(r.warmMs);
      empty.push(r.emptyMs);
    }
  }
  return { cold, warm, empty };
}

// Page-load cost: the plain page loaded LOAD_N times in a fresh tab of each browser (with / without the
// extension), alternating, after 3 warm-ups each; loadEventEnd of the navigation entry.
async function pageLoads(withExt, withoutExt, url) {
  const one = async (context) => {
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'load' });
    const ms = await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd);
    // No global marker: the shim shows only in the stack its toString adds to a native TypeError (see
    // tests/scenarios/channel.test.mjs), or, in Firefox, in create's source.
    const shim = await page.evaluate(() =>
      ((w) => {
        try {
          w.Function.prototype.toString.call(null);
        } catch (e) {
          if (/shim\.js/.test(String(e.stack))) return true;
        }
        return !/native code/.test(w.Function.prototype.toString.call(w.CredentialsContainer.prototype.create));
      })(window),
    );
    await page.close();
    return { ms, shim };
  };
  const out = { with: [], without: [], shimSeen: 0 };
  for (let i = 0; i < LOAD_N + 3; i++) {
    const a = await one(withExt);
    const b = await one(withoutExt);
    if (i < 3) continue;
    out.with.push(a.ms);
    out.without.push(b.ms);
    if (a.shim) out.shimSeen++;
  }
  return out;
}

// 10,000 passkeys in the popup: a Chromium with Keyplace whose data dir is a copy of host_bench's; the popup
// page opened as a tab POPUP_N times (after one warm-up that starts the host). An init script (document start)
// watches the DOM with a MutationObserver and records performance.now() (ms since navigation start) when the
// list is ready: #sites no longer aria-busy with its first page of items and the total count in the DOM (the
// popup pages: it never builds all 10,000 rows), or when the page shows the host's error instead.
async function popupList(dataDir, expected, notes) {
  const dirs = await makeTempDirs('keyplace-bench-popup-');
  let context;
  try {
    for (const name of await readdir(dataDir)) await cp(path.join(dataDir, name), path.join(dirs.data, name));
    await installHost(dirs);
    context = await chromium.launchPersistentContext(dirs.profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: chromiumArgs(EXTENSION_DIR),
      env: browserEnv(dirs),
      viewport: null,
    });
    context.setDefaultTimeout(30_000);
    await serviceWorker(context);
    const runs = [];
    for (let i = 0; i < POPUP_N + 1; i++) {
      const page = await context.newPage();
      await page.addInitScript(() => {
        const mark = {
          items: 0,
          listAt: null,
          problemAt: null,
          problem: null,
          emptyAt: null,
          frameAt: null,
          count: null,
        };
        globalThis.__kpBench = mark;
        const check = () => {
          const sites = document.getElementById('sites');
          const n = sites ? sites.getElementsByTagName('li').length : 0;
          if (mark.listAt == null && n > 0 && sites.getAttribute('aria-busy') === 'false') {
            mark.items = n;
            mark.count = document.getElementById('count')?.textContent ?? null;
            mark.listAt = performance.now();
            mark.frameAt = null;
            requestAnimationFrame(() => setTimeout(() => (mark.frameAt = performance.now()), 0));
          }
          const problem = document.getElementById('host-problem');
          if (problem && !problem.hidden && mark.problemAt == null) {
            mark.problemAt = performance.now();
            mark.problem = problem.textContent;
          }
          const empty = document.getElementById('empty');
          if (empty && !empty.hidden && mark.emptyAt == null) mark.emptyAt = performance.now();
        };
        new MutationObserver(check).observe(document, {
          subtree: true,
          childList: true,
          attributes: true,
          attributeFilter: ['hidden', 'aria-busy'],
        });
      });
      await page.goto(`${EXTENSION_ORIGIN}/popup.html`);
      await page.waitForFunction(
        (_n) => {
          const m = globalThis.__kpBench;
          return m && (m.listAt != null || m.problemAt != null || (m.emptyAt != null && m.items === 0));
        },
        null,
        { polling: 50 },
      );
      // The "next frame" mark is set by a rAF + task after the list went in; give it a moment.
      await page
        .waitForFunction(() => globalThis.__kpBench.frameAt != null || globalThis.__kpBench.items === 0, null, {
          timeout: 5_000,
        })
        .catch(() => {});
      const mark = await page.evaluate(() => globalThis.__kpBench);
      const asked = await (await serviceWorker(context)).evaluate(
        () => globalThis.keyplaceMetrics?.popupList?.[0] ?? null,
      );
      // Where the time goes: the popup's own request to the worker, timed again from the loaded page, and when
      // the popup's module script could start (DOMContentLoaded, which waits for module scripts).
      Object.assign(
        mark,
        await page.evaluate(async () => {
          const t0 = performance.now();
          const list = await chrome.runtime.sendMessage({ type: 'popup:list' });
          return {
            timeOrigin: performance.timeOrigin,
            fetchMs: performance.now() - t0,
            fetchRows: list?.rows?.length ?? null,
            dclMs: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventStart ?? null,
          };
        }),
      );
      // The popup's first `popup:list` as the worker saw it (epoch ms), on the page's clock (ms from navigation start).
      if (asked)
        Object.assign(mark, {
          listArrivedMs: asked.arrivedAt - mark.timeOrigin,
          listAnsweredMs: asked.answeredAt - mark.timeOrigin,
        });
      await (await serviceWorker(context)).evaluate(() => globalThis.keyplaceMetrics?.popupList?.splice(0));
      await page.close();
      if (i > 0) runs.push(mark);
    }
    const rendered = runs.filter((m) => m.listAt != null);
    const failed = runs.filter((m) => m.listAt == null);
    return {
      expected,
      firstPageItems: rendered.map((m) => m.items),
      countText: rendered.find((m) => m.count)?.count ?? null,
      listReadyMs: rendered.map((m) => m.listAt),
      nextFrameMs: rendered.filter((m) => m.frameAt != null).map((m) => m.frameAt),
      problemMs: failed.filter((m) => m.problemAt != null).map((m) => m.problemAt),
      problem: failed.find((m) => m.problem)?.problem ?? null,
      fetchMs: runs.map((m) => m.fetchMs),
      dclMs: runs.map((m) => m.dclMs),
      listArrivedMs: runs.filter((m) => m.listArrivedMs != null).map((m) => m.listArrivedMs),
      listAnsweredMs: runs.filter((m) => m.listAnsweredMs != null).map((m) => m.listAnsweredMs),
      renderMs: runs
        .filter((m) => m.listAnsweredMs != null && m.listAt != null)
        .map((m) => m.listAt - m.listAnsweredMs),
      itemsShown: runs.map((m) => m.items),
    };
  } catch (err) {
    notes.push(`Popup with ${expected} passkeys not measured: ${String(err.message ?? err).split('\n')[0]}`);
    return null;
  } finally {
    await context?.close().catch(() => {});
    await rm(dirs.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

// ---------- the run ----------
async function main() {
  checkBuildOutputs();
  const started = new Date();
  const loadAtStart = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const notes = [];
  const out = { vault: {}, hardware: {}, baseline: {}, cold: {}, host: {}, popup: {} };

  // 1. Host-side figures first, on a quiet machine (and the 10,000-passkey data dirs for the popup).
  const dataOut = await mkdtemp(path.join(os.tmpdir(), 'keyplace-bench-data-'));
  try {
    if (!SKIP.has('host')) {
      out.hostBench = await hostBench(dataOut, notes);
      out.devicesCopy = await devicesCopyFigures(notes);
      out.vaultUnlock = await vaultUnlockFigures(notes);
    }

    // 2. The popup with 2,000 (fits the 1 MiB native-messaging cap) and 10,000 stored passkeys.
    for (const [count, dir] of Object.entries(out.hostBench?.many?.data_dirs ?? {})) {
      out.popup[count] = await popupList(dir, Number(count), notes);
    }
  } finally {
    await rm(dataOut, { recursive: true, force: true });
  }

  // 3. The ceremonies: one Chromium with Keyplace, its host reaching a swtpm of its own.
  const tpm = swtpmAvailable() ? await startSwtpm() : null;
  if (!tpm) notes.push('swtpm is not installed: Hardware ceremonies not measured.');
  const rp = await startRpServer();
  const plainServer = await startPlainServer();
  const session = await launchKeyplace({ env: tpm ? { KEYPLACE_TPM_TCTI: tpm.tcti, TSS2_LOG: 'all+none' } : {} });
  const plain = await launchKeyplace({ extension: false, host: false });
  try {
    const { context } = session;
    const page = await session.newPage(rp.url('/'));

    // Warm-up: the first ceremony sets the vault PIN and starts the host; it is not counted.
    const warm = must(await vaultCreate(context, page, 'warmup'), 'warm-up registration');
    must(await vaultGet(context, page, 'warmup', warm.credentialId), 'warm-up sign-in');
    if (tpm) {
      const hw = must(await hardwareCreate(context, page, 'hwwarmup'), 'warm-up hardware registration');
      must(await hardwareGet(context, page, 'hwwarmup', hw.credentialId), 'warm-up hardware sign-in');
    }
    let worker = await serviceWorker(context);
    const skip = await worker.evaluate(() => globalThis.keyplaceMetrics?.ceremonies?.length ?? 0);

    // --- Keyplace vault and hardware ceremonies, alternating so both see the same machine state ---
    for (let i = 0; i < N; i++) {
      const reg = must(await vaultCreate(context, page, `user${i}`), `registration ${i}`);
      must(await vaultGet(context, page, `user${i}`, reg.credentialId), `sign-in ${i}`);
      if (tpm) {
        const hw = must(await hardwareCreate(context, page, `hw${i}`), `hardware registration ${i}`);
        must(await hardwareGet(context, page, `hw${i}`, hw.credentialId), `hardware sign-in ${i}`);
      }
    }
    const metrics = await worker.evaluate(() => JSON.parse(JSON.stringify(globalThis.keyplaceMetrics ?? null)));
    if (!metrics) throw new Error('globalThis.keyplaceMetrics is missing in the service worker');
    for (const store of ['vault', 'hardware']) {
      const ceremonies = metrics.ceremonies.slice(skip).filter((c) => c.store === store);
      for (const kind of ['create', 'get']) {
        const cs = ceremonies.filter((c) => c.kind === kind);
        out[store][kind] = {
          n: cs.length,
          activeMs: cs.map((c) => c.totalMs - c.waitingMs), // everything but the person
          overheadMs: cs.map((c) => c.overheadMs),
          hostMs: cs.map((c) => c.hostMs),
          coreMs: cs.map((c) => c.coreMs),
          windowReadyMs: cs
            .filter((c) => c.windowReadyAt && c.windowRequestedAt)
            .map((c) => c.windowReadyAt - c.windowRequestedAt),
        };
      }
    }
    out.rssAfterCeremoniesKb = await hostRssKb(session.dirs.data);

    // --- host round trip over the open port ---
    const pings = await worker.evaluate((n) => globalThis.keyplaceBench?.hostPing?.(n) ?? null, PING_N);
    out.host.pingMs = Array.isArray(pings) ? pings : null;
    if (!out.host.pingMs) notes.push('globalThis.keyplaceBench.hostPing is missing: host round trip not measured.');

    // --- baseline: Chromium's virtual authenticator ---
    out.baseline = await baseline(session, page, rp, notes);
    out.passthrough = await passThrough(session, page, notes);
    const shownAt = () => worker.evaluate(() => globalThis.keyplaceMetrics?.autofill?.shownAt ?? []);
    out.autofill = await autofillVisible({
      inPage: (fn, arg) => page.evaluate(fn, arg),
      shownAt,
      listAskedAt: () => worker.evaluate(() => globalThis.keyplaceMetrics?.autofill?.listAskedAt ?? []),
      waitShown: shownAfter(shownAt),
      n: N,
    }).catch((err) => {
      notes.push(`Autofill not measured: ${String(err?.message ?? err).split('\n')[0]}`);
      return null;
    });

    // --- cold start (and WASM instantiation, read after each cold start) ---
    out.cold = await coldStarts(session, page, notes);
    worker = await serviceWorker(context);
    out.floor = await chromiumFloors({ pageUrl: rp.url('/'), coldN: COLD_N, windowN: COLD_N, notes });
    out.rssKb = Math.max(out.rssAfterCeremoniesKb ?? 0, (await hostRssKb(session.dirs.data)) ?? 0) || null;

    // --- page shim: work per page, and page-load cost with / without the extension ---
    const manifest = await extensionManifest();
    const shimName = (manifest.content_scripts ?? []).find((cs) => cs.world === 'MAIN')?.js?.[0];
    if (shimName) {
      const shimSource = await readFile(path.join(EXTENSION_DIR, shimName), 'utf8');
      out.shimWorkMs = await shimWork({ context: plain.context, url: plainServer.url }, shimSource);
    }
    out.pageLoad = await pageLoads(context, plain.context, plainServer.url);
    if (out.pageLoad.shimSeen < out.pageLoad.with.length)
      notes.push(
        `The shim was present in only ${out.pageLoad.shimSeen} of ${out.pageLoad.with.length} page loads with the extension.`,
      );
  } finally {
    await session.close();
    await plain.close();
    await rp.close();
    await plainServer.close();
    await tpm?.stop();
  }

  // 4. Firefox ESR (tests/bench/firefox.mjs): skipped with a note when Firefox or geckodriver is missing.
  out.firefox = SKIP.has('firefox')
    ? null
    : await firefoxBench({ n: N, coldN: COLD_N, pingN: PING_N, notes }).catch((err) => {
        notes.push(`Firefox not measured: ${String(err?.message ?? err).split('\n')[0]}`);
        return null;
      });
  out.sizes = await sizes();

  const report = render(out, notes, {
    date: started.toISOString(),
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    load: loadAtStart,
    chromium: await chromiumVersion(),
    node: process.version,
    n: N,
    coldN: COLD_N,
  });
  await writeFile(
    SKIP.size ? path.join(os.tmpdir(), 'BENCHMARKS.partial.md') : path.join(REPO_ROOT, 'BENCHMARKS.md'),
    report,
  );
  process.stdout.write(report);
}

// The baseline runs in a same-origin about:blank iframe when the page shim is not injected there (so the
// browser's own WebAuthn is reached without Keyplace in the way); otherwise in a second, extension-less Chromium.
async function baseline(_session, page, rp, notes) {
  // Chromium's WebAuthn wants the calling tab focused; consent windows took the focus before.
  await page.bringToFront();
  let target = page;
  let plain = null;
  const hasShim = await page.evaluate(async () => {
    const frame = document.createElement('iframe');
    frame.id = 'baseline';
    document.body.append(frame);
    await new Promise((r) =>
      frame.contentDocument?.readyState === 'complete' ? r() : frame.addEventListener('load', r, { once: true }),
    );
    return ((w) => {
      try {
        w.Function.prototype.toString.call(null);
      } catch (e) {
        if (/shim\.js/.test(String(e.stack))) return true;
      }
      return !/native code/.test(w.Function.prototype.toString.call(w.CredentialsContainer.prototype.create));
    })(frame.contentWindow);
  });
  let where = 'same session, same-origin about:blank iframe (not reached by the page shim)';
  if (hasShim) {
    plain = await launchKeyplace({ extension: false, host: false });
    target = await plain.newPage(rp.url('/'));
    where = 'a second Chromium without the extension (the shim reaches about:blank iframes)';
  }
  notes.push(`Virtual authenticator baseline measured in ${where}.`);
  const authenticator = await virtualAuthenticator(target);
  try {
    const runs = await target.evaluate(
      async ({ n, inFrame }) => {
        // Use the iframe's navigator (same origin) so the page's patched one is bypassed.
        const creds = inFrame
          ? document.getElementById('baseline').contentWindow.navigator.credentials
          : navigator.credentials;
        const post = kp.postJson;
        const dec = kp.b64u.decode;
        const out = [];
        const step = async (what, work) => {
          try {
            return await work;
          } catch (err) {
            throw new Error(`baseline ${what}: ${err.name}: ${err.message} (document focused: ${document.hasFocus()})`);
          }
        };
        for (let i = 0; i < n; i++) {
          // Non-resident: Chromium's virtual CTAP2 device stores only 3 resident credentials.
          const reg = await post('/api/register/options', {
            username: `va${i}`,
            userVerification: 'discouraged',
            requireUserVerification: false,
            residentKey: 'discouraged',
          });
          const o = reg.options;
          const t0 = performance.now();
          const cred = await step(
            `create ${i}`,
            creds.create({
              publicKey: {
                ...o,
                challenge: dec(o.challenge),
                user: { ...o.user, id: dec(o.user.id) },
                excludeCredentials: [],
              },
            }),
          );
          const createMs = performance.now() - t0;
          // Verified outside the timed part, so the RP knows the credential for the sign-ins below.
          const regVerdict = await post('/api/register/verify', {
            flowId: reg.flowId,
            response: kp.encodeCredential(cred),
          });
          if (!regVerdict.verified) throw new Error(`baseline registration not verified: ${regVerdict.error}`);
          const login = await post('/api/login/options', {
            allowCredentials: [cred.id],
            userVerification: 'discouraged',
            requireUserVerification: false,
          });
          const l = login.options;
          const t1 = performance.now();
          const assertion = await step(
            `get ${i}`,
            creds.get({
              publicKey: {
                ...l,
                challenge: dec(l.challenge),
                allowCredentials: l.allowCredentials.map((c) => ({ ...c, id: dec(c.id) })),
              },
            }),
          );
          const getMs = performance.now() - t1;
          const getVerdict = await post('/api/login/verify', {
            flowId: login.flowId,
            response: kp.encodeCredential(assertion),
          });
          if (!getVerdict.verified) throw new Error(`baseline sign-in not verified: ${getVerdict.error}`);
          out.push({ createMs, getMs, id: cred.id });
        }
        return out;
      },
      { n: N, inFrame: target === page },
    );
    // A browser passkey signed in through Keyplace's pass-through (the shim is in the way, no window).
    const passthrough = [];
    if (target === page) {
      for (const run of runs.slice(0, N)) {
        const v = await page.evaluate(
          (id) => kp.login({ allowCredentials: [id], userVerification: 'discouraged', requireUserVerification: false }),
          run.id,
        );
        if (v.verified) passthrough.push(v.clientMs);
        else {
          notes.push(`Pass-through sign-in of a browser passkey failed: ${JSON.stringify(v.error ?? v)}`);
          break;
        }
      }
    }
    return { createMs: runs.map((r) => r.createMs), getMs: runs.map((r) => r.getMs), passthroughGetMs: passthrough };
  } finally {
    await authenticator.remove().catch(() => {});
    await plain?.close();
  }
}

/**
 * What Keyplace adds to a request it hands to the browser: a Browser rule for localhost (no window), Chromium's
 * virtual authenticator on the Keyplace page, create() and get() timed in the page like the baseline's.
 */
async function passThrough(session, page, notes) {
  const settings = await session.newPage(`${EXTENSION_ORIGIN}/options.html`);
  const rule = (choice) =>
    settings.evaluate(
      (c) =>
        chrome.runtime.sendMessage(
          c ? { type: 'rules:set', site: 'localhost', choice: c } : { type: 'rules:remove', site: 'localhost' },
        ),
      choice,
    );
  const authenticator = await virtualAuthenticator(page);
  const worker = await session.worker();
  const handedBefore = await worker.evaluate(() => globalThis.keyplaceMetrics?.handedToBrowser?.length ?? 0);
  try {
    await rule('browser');
    await page.bringToFront();
    const runs = await page.evaluate(async (n) => {
      const out = [];
      for (let i = 0; i < n; i++) {
        const reg = await kp.register({
          username: `pt${i}`,
          userVerification: 'discouraged',
          requireUserVerification: false,
          residentKey: 'discouraged',
        });
        if (!reg.verified) return { failed: `create ${i}: ${JSON.stringify(reg.error ?? reg)}` };
        const got = await kp.login({
          allowCredentials: [reg.credentialId],
          userVerification: 'discouraged',
          requireUserVerification: false,
        });
        if (!got.verified) return { failed: `get ${i}: ${JSON.stringify(got.error ?? got)}` };
        out.push({ createMs: reg.clientMs, getMs: got.clientMs });
      }
      return { runs: out };
    }, N);
    if (runs.failed) {
      notes.push(`Pass-through (Browser rule) failed: ${runs.failed}`);
      return { createMs: [], getMs: [] };
    }
    // The background's share: from the request's arrival to its "browser" answer (the rest is the page shim, the
    // bridge and the messaging between them and the worker).
    const handed = await worker.evaluate(
      (from) => globalThis.keyplaceMetrics?.handedToBrowser?.slice(from) ?? [],
      handedBefore,
    );
    return {
      createMs: runs.runs.map((r) => r.createMs),
      getMs: runs.runs.map((r) => r.getMs),
      backgroundCreateMs: handed.filter((h) => h.kind === 'create').map((h) => h.ms),
      backgroundGetMs: handed.filter((h) => h.kind === 'get').map((h) => h.ms),
    };
  } finally {
    await rule(null).catch(() => {});
    await settings.close();
    await authenticator.remove().catch(() => {});
  }
}

async function coldStarts(session, page, notes) {
  const { context } = session;
  const cdp = await context.newCDPSession(page);
  // Playwright keeps one Worker object across a stop/start and emits no event, so the stop is observed
  // through the ServiceWorker domain's own status updates.
  const waitForStatus = (wanted) =>
    new Promise((resolve) => {
      const onUpdate = ({ versions }) => {
        if (versions.some((v) => v.scriptURL.startsWith(EXTENSION_ORIGIN) && v.runningStatus === wanted)) {
          cdp.off('ServiceWorker.workerVersionUpdated', onUpdate);
          resolve();
        }
      };
      cdp.on('ServiceWorker.workerVersionUpdated', onUpdate);
    });
  await cdp.send('ServiceWorker.enable');
  const toRequested = [];
  const toReady = [];
  const workerToRequested = [];
  const wasmMs = [];
  const paths = [];
  for (let i = 0; i < COLD_N; i++) {
    const worker = await serviceWorker(context);
    const before = await worker.evaluate(() => globalThis.keyplaceMetrics?.startedAt ?? null);
    const stopped = waitForStatus('stopped');
    await cdp.send('ServiceWorker.stopAllWorkers');
    await stopped;
    // Carried through to the end: only finished ceremonies are recorded with their window timestamps.
    const verdict = must(await vaultCreate(context, page, `cold${i}`), `cold registration ${i}`);
    const m = await worker.evaluate(() => JSON.parse(JSON.stringify(globalThis.keyplaceMetrics ?? null)));
    if (!m) {
      notes.push('keyplaceMetrics missing after a cold start.');
      break;
    }
    if (m.startedAt === before) {
      notes.push('The worker did not restart after ServiceWorker.stopAllWorkers: cold start not measured.');
      break;
    }
    if (Number.isFinite(m.wasmInstantiateMs)) wasmMs.push(m.wasmInstantiateMs);
    const firstAt =
      m.firstWindowRequestAt ?? (m.firstWindowRequestMs != null ? m.startedAt + m.firstWindowRequestMs : null);
    const t0 = verdict.startedAtEpochMs;
    if (firstAt != null) {
      workerToRequested.push(firstAt - m.startedAt);
      if (t0) toRequested.push(firstAt - t0);
    }
    const c = m.ceremonies.at(-1);
    if (c?.windowReadyAt && t0) toReady.push(c.windowReadyAt - t0);
    // The cold path's steps (ms since the worker's start), and the page's call on the same clock.
    if (t0) paths.push({ pageCall: t0 - m.startedAt, ...m.coldPath });
  }
  await cdp.detach().catch(() => {});
  if (!toReady.length)
    notes.push('Cold "window interactive" not measured: no windowReadyAt in the metrics after a cold ceremony.');
  if (!wasmMs.length) notes.push('keyplaceMetrics.wasmInstantiateMs was not set after any cold start.');
  return { toRequested, toReady, workerToRequested, wasmMs, paths };
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exitCode = 1;
});
