#!/usr/bin/env node
// Keyplace benchmark, Firefox part: headless Firefox ESR driven by selenium-webdriver (tests/support/
// firefox.mjs). Called from tests/bench/run.mjs, which adds a "Firefox ESR" section to BENCHMARKS.md; run
// alone (`node tests/bench/firefox.mjs`) it prints that section, and with `--write` also puts it into the
// existing BENCHMARKS.md in place of the old one. Nothing here asserts on time.
//
// One Firefox with Keyplace and its host:
// - N create+get through the Keyplace vault, timed by the background's own metrics
//   (globalThis.keyplaceMetrics). Firefox's MV3 background is an event *page* (a module script in a
//   window), so an extension page reaches it with `browser.runtime.getBackgroundPage()` and reads
//   `bg.keyplaceMetrics` / calls `bg.keyplaceBench.hostPing(n)` directly; the test runs that through
//   WebDriver in a moz-extension://…/welcome.html tab.
// - The host round trip over the background's open connectNative port (keyplaceBench.hostPing).
// - With a Browser rule for localhost, N create+get that Keyplace hands to Firefox's own WebAuthn (no
//   window; the WebDriver virtual authenticator answers), timed in the page.
// - Cold starts: the background is stopped with Firefox's own `extension.terminateBackground()` (chrome
//   context; geckodriver runs with --allow-system-access), the equivalent of Chromium's
//   ServiceWorker.stopAllWorkers. The idle timeout (extensions.background.idle.timeout) cannot be used:
//   Firefox exempts a background with an open nativeMessaging port from it, and Keyplace keeps its port
//   open; the run checks that and says so.
// A second Firefox without the extension gives the baseline: Firefox's WebDriver virtual authenticator
// (ctap2_1, internal, UV), timed in the page with performance.now() around create()/get(). It cannot run in
// the Keyplace Firefox, because there the page shim also runs in about:blank frames.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { By, until } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import {
  ADDON_ID,
  checkFirefoxBuildOutputs,
  FIREFOX,
  firefoxUnavailable,
  launchFirefox,
} from '../drivers/firefox-session.mjs';
import { FirefoxSuggestion } from '../drivers/firefox.mjs';
import { REPO_ROOT } from '../support/build-outputs.mjs';
import { until as waitFor } from '../drivers/driver.mjs';
import { autofillVisible } from './autofill.mjs';
import { startRpServer } from '../support/rp-server.mjs';
import { dist, ms, p50 } from './stats.mjs';

const PIN = '582046';
const SITE = 'localhost';

export async function firefoxVersion() {
  try {
    const { stdout } = await promisify(execFile)(FIREFOX, ['--version'], { timeout: 30_000 });
    return stdout.trim();
  } catch {
    return 'Firefox (version unknown)';
  }
}

function must(verdict, what) {
  if (!verdict?.verified) throw new Error(`Firefox: ${what} was not verified: ${JSON.stringify(verdict)}`);
  return verdict;
}

// ---------- the consent window, by element ids (quicker than accessible names; the test suite does those) ----------
async function fillPinIfAsked(ff) {
  const pin = await ff.driver.findElement(By.id('pin'));
  if (await pin.isDisplayed()) await pin.sendKeys(PIN);
  const confirm = await ff.driver.findElement(By.id('confirm-pin'));
  if (await confirm.isDisplayed()) await confirm.sendKeys(PIN);
}

async function vaultCreate(ff, page, username) {
  const { win, call } = await ff.startCeremony(
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
  // The window renders once the background has answered consent:details.
  const vault = await ff.driver.wait(
    until.elementLocated(By.css('#store-vault:enabled')),
    30_000,
    'no enabled Vault choice',
  );
  if (!(await vault.isSelected())) await vault.click();
  await fillPinIfAsked(ff);
  await ff.clickAndClose(win, 'Create passkey', page, await ff.driver.findElement(By.id('confirm')));
  return ff.result(call);
}

async function vaultGet(ff, page, id) {
  const { win, call } = await ff.startCeremony(
    page,
    (cid) => kp.login({ allowCredentials: [cid], userVerification: 'discouraged', requireUserVerification: false }),
    id,
  );
  const account = await ff.driver.wait(
    until.elementLocated(By.css('input[name=account]')),
    30_000,
    'no account to choose',
  );
  if (!(await account.isSelected())) await account.click();
  await fillPinIfAsked(ff);
  await ff.clickAndClose(win, 'Sign in', page, await ff.driver.findElement(By.id('confirm')));
  return ff.result(call);
}

// ---------- the background, from an extension page ----------
const readMetrics = (ff, tab) =>
  ff.inPage(tab, async () => {
    const bg = await browser.runtime.getBackgroundPage();
    return bg.keyplaceMetrics ? JSON.parse(JSON.stringify(bg.keyplaceMetrics)) : null;
  });

/** Runs `script` (a function body) in Firefox's chrome context with arguments[0] = the add-on id, then `args`. */
async function inChrome(ff, script, { async = false, args = [] } = {}) {
  await ff.driver.setContext(firefox.Context.CHROME);
  try {
    return async
      ? await ff.driver.executeAsyncScript(script, ADDON_ID, ...args)
      : await ff.driver.executeScript(script, ADDON_ID, ...args);
  } finally {
    await ff.driver.setContext(firefox.Context.CONTENT);
  }
}
const backgroundState = (ff) =>
  inChrome(ff, 'return WebExtensionPolicy.getByID(arguments[0]).extension.backgroundState;');
const hasNativePort = (ff) =>
  inChrome(
    ff,
    'return !!WebExtensionPolicy.getByID(arguments[0]).extension.backgroundContext?.hasActiveNativeAppPorts;',
  );
const terminateBackground = (ff) =>
  inChrome(
    ff,
    `const done = arguments[arguments.length - 1];
     const ext = WebExtensionPolicy.getByID(arguments[0]).extension;
     ext.terminateBackground({ disableResetIdleForTest: true }).then(() => done(ext.backgroundState), (e) => done('error: ' + e));`,
    { async: true },
  );
const setIdleTimeout = (ff, value) =>
  inChrome(
    ff,
    `const v = arguments[1];
     if (v == null) Services.prefs.clearUserPref('extensions.background.idle.timeout');
     else Services.prefs.setIntPref('extensions.background.idle.timeout', v);`,
    { args: [value] },
  );

// ---------- the run ----------
/**
 * Returns the Firefox figures, or null (with a note) when Firefox or geckodriver is missing.
 * `notes` collects what the report should say about how things were measured or what failed.
 */
export async function firefoxBench({ n = 20, coldN = Math.min(n, 10), pingN = 200, notes = [] } = {}) {
  const missing = firefoxUnavailable();
  if (missing) {
    notes.push(`Firefox not measured: ${missing}.`);
    return null;
  }
  checkFirefoxBuildOutputs();
  const out = {
    version: await firefoxVersion(),
    n,
    coldN,
    vault: {},
    passthrough: {},
    baseline: {},
    cold: {},
    host: {},
  };
  const rp = await startRpServer();
  let ff = null;
  let plain = null;
  try {
    ff = await launchFirefox();
    const page = await ff.openPage(rp.url('/'));
    const tab = await ff.openExtensionPage('welcome.html'); // where the background is read from

    // Warm-up: sets the vault PIN and starts the host; not counted.
    const warm = must(await vaultCreate(ff, page, 'warmup'), 'warm-up registration');
    must(await vaultGet(ff, page, warm.credentialId), 'warm-up sign-in');
    const skip = (await readMetrics(ff, tab))?.ceremonies?.length ?? 0;

    for (let i = 0; i < n; i++) {
      const reg = must(await vaultCreate(ff, page, `user${i}`), `registration ${i}`);
      must(await vaultGet(ff, page, reg.credentialId), `sign-in ${i}`);
    }
    const metrics = await readMetrics(ff, tab);
    if (!metrics) throw new Error('globalThis.keyplaceMetrics is missing in the Firefox background page');
    const ceremonies = metrics.ceremonies.slice(skip).filter((c) => c.store === 'vault');
    for (const kind of ['create', 'get']) {
      const cs = ceremonies.filter((c) => c.kind === kind);
      out.vault[kind] = {
        activeMs: cs.map((c) => c.totalMs - c.waitingMs),
        hostMs: cs.map((c) => c.hostMs),
        coreMs: cs.map((c) => c.coreMs),
        overheadMs: cs.map((c) => c.overheadMs),
        windowReadyMs: cs
          .filter((c) => c.windowReadyAt && c.windowRequestedAt)
          .map((c) => c.windowReadyAt - c.windowRequestedAt),
      };
    }

    // Host round trip over the open port.
    const pings = await ff.inPage(
      tab,
      async (count) => {
        const bg = await browser.runtime.getBackgroundPage();
        return bg.keyplaceBench?.hostPing ? bg.keyplaceBench.hostPing(count) : null;
      },
      pingN,
    );
    out.host.pingMs = Array.isArray(pings) ? pings : null;
    if (!out.host.pingMs) notes.push('Firefox: keyplaceBench.hostPing is missing: host round trip not measured.');

    // Does the idle timeout ever stop a background holding a native port? (Firefox says no.)
    out.idle = await idleCheck(ff, notes);

    // Autofill: the suggestion visible after focus (tests/bench/autofill.mjs). Waiting happens on the suggestion
    // in the page itself; the background's metrics are read once the page is done.
    const suggestion = new FirefoxSuggestion({ session: ff }, page);
    out.autofill = await autofillVisible({
      inPage: (fn, arg) => ff.inPage(page, fn, arg),
      shownAt: async () => (await readMetrics(ff, tab))?.autofill?.shownAt ?? [],
      listAskedAt: async () => (await readMetrics(ff, tab))?.autofill?.listAskedAt ?? [],
      waitShown: async () => {
        await waitFor('the suggestion', () => suggestion.frameElement());
        await suggestion.waitFor('button', /^Sign in with Keyplace/);
      },
      n,
    }).catch((err) => {
      notes.push(`Firefox: autofill not measured: ${String(err?.message ?? err).split('\n')[0]}`);
      return null;
    });

    // Pass-through: a Browser rule for localhost; Keyplace hands create and get to Firefox's own WebAuthn.
    await ff.inPage(tab, (site) => browser.runtime.sendMessage({ type: 'rules:set', site, choice: 'browser' }), SITE);
    await ff.switchTo(page);
    await ff.addVirtualAuthenticator();
    const handedBefore = (await readMetrics(ff, tab))?.handedToBrowser?.length ?? 0;
    await ff.switchTo(page);
    out.passthrough = await pageTimed(ff, page, n, 'pt', notes, 'Keyplace pass-through');
    // The background's share: from the request's arrival to its "browser" answer.
    const handed = ((await readMetrics(ff, tab))?.handedToBrowser ?? []).slice(handedBefore);
    out.passthrough.backgroundCreateMs = handed.filter((h) => h.kind === 'create').map((h) => h.ms);
    out.passthrough.backgroundGetMs = handed.filter((h) => h.kind === 'get').map((h) => h.ms);
    await ff.inPage(tab, (site) => browser.runtime.sendMessage({ type: 'rules:remove', site }), SITE);

    // Cold starts.
    out.cold = await coldStarts(ff, page, tab, coldN, notes);
  } finally {
    await ff?.close();
  }

  // Baseline: a second Firefox without the extension (the shim reaches about:blank frames in Firefox).
  try {
    plain = await launchFirefox({ extension: false, host: false });
    const page = await plain.openPage(rp.url('/'));
    await plain.addVirtualAuthenticator();
    out.baseline = await pageTimed(plain, page, n, 'va', notes, 'Virtual authenticator baseline');
    out.baseline.shimSeen = await plain.inPage(page, () =>
      ((w) => {
        try {
          w.Function.prototype.toString.call(null);
        } catch (e) {
          if (/shim\.js/.test(String(e.stack))) return true;
        }
        return !/native code/.test(w.Function.prototype.toString.call(w.CredentialsContainer.prototype.create));
      })(window),
    );
  } finally {
    await plain?.close();
    await rp.close();
  }
  return out;
}

/** n create+get in the page with kp.register/kp.login, timed there (clientMs: performance.now() around the call). */
async function pageTimed(ff, page, n, prefix, notes, what) {
  const runs = await ff.result(
    await ff.startInPage(
      page,
      async ({ n, prefix }) => {
        const out = [];
        for (let i = 0; i < n; i++) {
          // Non-resident, so no authenticator storage limit matters.
          const reg = await kp.register({
            username: `${prefix}${i}`,
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
          out.push({ createMs: reg.clientMs, getMs: got.clientMs, aaguid: reg.aaguid });
        }
        return { runs: out };
      },
      { n, prefix },
    ),
    { timeout: 120_000 + n * 5_000 },
  );
  if (runs.failed) {
    notes.push(`Firefox: ${what} failed: ${runs.failed}`);
    return { createMs: [], getMs: [] };
  }
  return {
    createMs: runs.runs.map((r) => r.createMs),
    getMs: runs.runs.map((r) => r.getMs),
    aaguid: runs.runs[0]?.aaguid,
  };
}

/**
 * With the idle timeout at 1 s, watches the background for 3 s (a window of observation, not a wait for
 * something to finish) and reports whether it stayed running and whether it held a native port.
 */
async function idleCheck(ff, notes) {
  const timeoutMs = 1000;
  await setIdleTimeout(ff, timeoutMs);
  try {
    const port = await hasNativePort(ff);
    const states = new Set();
    let stopped = false;
    await ff.driver
      .wait(
        async () => {
          const state = await backgroundState(ff);
          states.add(state);
          stopped = state === 'stopped' || state === 'suspending';
          return stopped;
        },
        3 * timeoutMs,
        undefined,
        100,
      )
      .catch(() => {});
    if (!stopped) {
      notes.push(
        `Firefox: with extensions.background.idle.timeout = ${timeoutMs} ms the Keyplace background was still running ${3 * timeoutMs} ms later ` +
          `(native port open: ${port}); Firefox exempts backgrounds with an open nativeMessaging port from the idle timeout, so cold starts are made with extension.terminateBackground().`,
      );
    } else {
      notes.push(
        `Firefox: with extensions.background.idle.timeout = ${timeoutMs} ms the Keyplace background stopped (native port open before: ${port}).`,
      );
    }
    return {
      timeoutMs,
      stoppedWithin: stopped ? `${3 * timeoutMs} ms` : null,
      nativePortOpen: port,
      states: [...states],
    };
  } finally {
    await setIdleTimeout(ff, null);
  }
}

async function coldStarts(ff, page, tab, coldN, notes) {
  const toRequested = [];
  const toReady = [];
  const bgToRequested = [];
  const wasmMs = [];
  const paths = [];
  for (let i = 0; i < coldN; i++) {
    const before = (await readMetrics(ff, tab))?.startedAt ?? null;
    const state = await terminateBackground(ff);
    if (state !== 'stopped') {
      notes.push(`Firefox: terminateBackground() left the background "${state}": cold start not measured.`);
      break;
    }
    const verdict = must(await vaultCreate(ff, page, `cold${i}`), `cold registration ${i}`);
    const m = await readMetrics(ff, tab);
    if (!m || m.startedAt === before) {
      notes.push('Firefox: the background did not restart after terminateBackground(): cold start not measured.');
      break;
    }
    if (Number.isFinite(m.wasmInstantiateMs)) wasmMs.push(m.wasmInstantiateMs);
    const t0 = verdict.startedAtEpochMs;
    if (m.firstWindowRequestAt != null) {
      bgToRequested.push(m.firstWindowRequestAt - m.startedAt);
      if (t0) toRequested.push(m.firstWindowRequestAt - t0);
    }
    const c = m.ceremonies.at(-1);
    if (c?.windowReadyAt && t0) toReady.push(c.windowReadyAt - t0);
    if (t0) paths.push({ pageCall: t0 - m.startedAt, ...m.coldPath });
  }
  return { toRequested, toReady, bgToRequested, wasmMs, paths };
}

// ---------- report ----------
/** The "Firefox ESR" section of BENCHMARKS.md (an array of lines), or a short note when not measured. */
export function renderFirefox(fx) {
  if (!fx) return ['## Firefox ESR', '', 'Not measured (see the notes).', ''];
  const v = fx.vault;
  const pooled = (key) => [...(v.create?.[key] ?? []), ...(v.get?.[key] ?? [])];
  const b = fx.baseline;
  const pt = fx.passthrough;
  const row = (name, keyplace, va, method) => `| ${name} | ${keyplace} | ${va} | ${method} |`;
  const na = 'n/a';
  const vaCell = `create ${ms(p50(b.createMs ?? []))}, get ${ms(p50(b.getMs ?? []))} (whole call, p50)`;
  const rows = [
    row(
      'Warm ceremony overhead, Vault (create and get pooled)',
      dist(pooled('overheadMs')),
      vaCell,
      "The background page's own metrics (globalThis.keyplaceMetrics, read through browser.runtime.getBackgroundPage() from an extension page): ceremony total − time the window waited for the person − host time.",
    ),
    row(
      'Active time, Vault create',
      dist(v.create?.activeMs ?? []),
      dist(b.createMs ?? []),
      'Keyplace: ceremony total − waiting for the person, from the same metrics; virtual authenticator: performance.now() in the page around navigator.credentials.create() in a second Firefox without the extension.',
    ),
    row(
      'Active time, Vault get',
      dist(v.get?.activeMs ?? []),
      dist(b.getMs ?? []),
      "As above, for get(); the virtual authenticator is Firefox's WebDriver one (ctap2_1, internal, UV) in that second Firefox.",
    ),
    row(
      'Host round trip, open port',
      dist(fx.host.pingMs ?? []),
      na,
      `keyplaceBench.hostPing(${fx.host.pingMs?.length ?? 200}) called in the background page: sequential pings over its open connectNative port, performance.now() around each.`,
    ),
    row(
      'Cold start → window requested',
      dist(fx.cold.toRequested ?? []),
      na,
      "Background stopped with Firefox's extension.terminateBackground() (chrome context), then a vault create() from the page; page call time (performance.timeOrigin + now) → the background's firstWindowRequestAt.",
    ),
    row(
      'Cold start → window interactive',
      dist(fx.cold.toReady ?? []),
      na,
      "Same cold ceremonies; page call time → the ceremony's windowReadyAt (the window reported itself ready).",
    ),
    row(
      'WASM instantiation (cold background)',
      dist(fx.cold.wasmMs ?? []),
      na,
      'keyplaceMetrics.wasmInstantiateMs (performance.now() around init(), fetch included), read after each cold start.',
    ),
    row(
      'Keyplace pass-through (Browser rule): create / get',
      `${dist(pt.createMs ?? [])} / ${dist(pt.getMs ?? [])}`,
      `${dist(b.createMs ?? [])} / ${dist(b.getMs ?? [])}`,
      "With a Browser rule for localhost Keyplace opens no window and hands the call to Firefox's WebAuthn (the virtual authenticator in the Keyplace Firefox); performance.now() in the page around create()/get(), beside the bare authenticator in the extension-less Firefox.",
    ),
  ];
  const cols = [
    ['Keyplace vault (create)', v.create],
    ['Keyplace vault (get)', v.get],
  ];
  const side = [
    `| | ${cols.map(([name]) => name).join(' | ')} | virtual authenticator (create) | virtual authenticator (get) |`,
    `|---|${cols.map(() => '---|').join('')}---|---|`,
    `| active time (total − waiting for the person), p50 / p90 | ${cols.map(([, c]) => dist(c?.activeMs ?? [])).join(' | ')} | ${dist(b.createMs ?? [])} | ${dist(b.getMs ?? [])} |`,
    `| of which host (key operation + round trips) | ${cols.map(([, c]) => dist(c?.hostMs ?? [])).join(' | ')} | | |`,
    `| of which WASM core | ${cols.map(([, c]) => dist(c?.coreMs ?? [])).join(' | ')} | | |`,
    `| overhead (active − host) | ${cols.map(([, c]) => dist(c?.overheadMs ?? [])).join(' | ')} | | |`,
    `| window requested → ready (warm) | ${cols.map(([, c]) => dist(c?.windowReadyMs ?? [])).join(' | ')} | | |`,
  ];
  return [
    '## Firefox ESR',
    '',
    `${fx.version}, headless, driven by selenium-webdriver + geckodriver; privacy.reduceTimerPrecision = false. N = ${fx.n} create+get per path, ${fx.coldN} cold starts. ` +
      'Keyplace and its host run in one Firefox; the virtual authenticator baseline runs in a second Firefox without the extension, because in Firefox the page shim also runs in about:blank frames (a same-origin frame cannot reach the unpatched WebAuthn).',
    '',
    '| Figure | Keyplace: p50 / p90 (n) | Firefox virtual authenticator, same run | Method |',
    '|---|---|---|---|',
    ...rows,
    '',
    ...side,
    '',
    `- Cold start, background start → window requested: ${dist(fx.cold.bgToRequested ?? [])}.`,
    fx.idle
      ? `- Idle timeout ${fx.idle.timeoutMs} ms with the host port open (${fx.idle.nativePortOpen}): background ${fx.idle.stoppedWithin ? `stopped within ${fx.idle.stoppedWithin}` : `still running after ${3 * fx.idle.timeoutMs} ms`} (states seen: ${fx.idle.states.join(', ')}).`
      : null,
    pt.createMs?.length && b.createMs?.length
      ? `- Pass-through cost (p50 difference, Keyplace Firefox vs the extension-less one): create ${ms(p50(pt.createMs) - p50(b.createMs))}, get ${ms(p50(pt.getMs) - p50(b.getMs))}.`
      : null,
    '',
  ].filter((line) => line !== null);
}

/** Replaces the "## Firefox ESR" section of a BENCHMARKS.md text (up to the next "## "), or inserts it before "## Notes". */
export function spliceFirefoxSection(text, section) {
  const lines = text.split('\n');
  const start = lines.indexOf('## Firefox ESR');
  if (start >= 0) {
    let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
    if (end < 0) end = lines.length;
    lines.splice(start, end - start, ...section);
  } else {
    const notes = lines.indexOf('## Notes');
    lines.splice(notes >= 0 ? notes : lines.length, 0, ...section);
  }
  return lines.join('\n');
}

// ---------- alone ----------
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const n = Number(process.env.BENCH_N ?? 20);
  const coldN = Number(process.env.BENCH_COLD_N ?? Math.min(n, 10));
  const notes = [];
  firefoxBench({ n, coldN, notes })
    .then(async (fx) => {
      const section = [
        ...renderFirefox(fx),
        ...(notes.length ? ['Notes (Firefox run):', '', ...notes.map((x) => `- ${x}`), ''] : []),
      ];
      process.stdout.write(`${section.join('\n')}\n`);
      if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(fx)}\n`);
      if (process.argv.includes('--write')) {
        const file = path.join(REPO_ROOT, 'BENCHMARKS.md');
        const text = await readFile(file, 'utf8').catch(() => '# Keyplace benchmarks\n');
        await writeFile(file, spliceFirefoxSection(text, section));
      }
    })
    .catch((err) => {
      console.error(err?.stack ?? err);
      process.exitCode = 1;
    });
}
