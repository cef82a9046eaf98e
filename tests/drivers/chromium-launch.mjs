// Launching Chromium with the Keyplace extension and native host: a private HOME/XDG/TMPDIR per run, developer mode on, the host
// manifest installed into the test profile, and the host's data dir passed through the browser's env.
import { chromium } from 'playwright-core';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, writeFile, rm, readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, hostBinary } from '../support/build-outputs.mjs';

export { REPO_ROOT, hostBinary };
export const EXTENSION_DIR = path.join(REPO_ROOT, 'extension/dist/chromium');
export const EXTENSION_ID = 'ipdamncjijplhbkhipddgambbnginfmp';
export const EXTENSION_ORIGIN = `chrome-extension://${EXTENSION_ID}`;
export const CHROMIUM = process.env.KEYPLACE_CHROMIUM ?? '/usr/bin/chromium';

const run = promisify(execFile);

// Fail before any browser starts, with a message that says what to build.
export function checkBuildOutputs({ extension = true, host = true } = {}) {
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push(`Chromium at ${CHROMIUM} (apt-get install chromium)`);
  if (extension && !existsSync(path.join(EXTENSION_DIR, 'manifest.json'))) {
    missing.push(`the unpacked extension: ${path.join(EXTENSION_DIR, 'manifest.json')}`);
  }
  if (host && !existsSync(hostBinary())) {
    missing.push(`the native host binary: ${hostBinary()} (or set KEYPLACE_HOST_BIN)`);
  }
  if (missing.length) {
    throw new Error(
      `Keyplace end-to-end tests need the build outputs first (run the xtask build):\n  - ${missing.join('\n  - ')}`,
    );
  }
}

// Temp dirs for one browser: Chromium writes to ~/.config and the system temp dir even with
// --user-data-dir, so each run gets its own HOME, XDG dirs and TMPDIR.
export async function makeTempDirs(prefix = 'keyplace-e2e-') {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix));
  const dirs = {
    root,
    home: path.join(root, 'home'),
    config: path.join(root, 'home/.config'),
    cache: path.join(root, 'home/.cache'),
    tmp: path.join(root, 'tmp'),
    data: path.join(root, 'data'),
    profile: path.join(root, 'profile'),
  };
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
  // Without developer mode, chrome.runtime.reload() disables a command-line extension.
  await mkdir(path.join(dirs.profile, 'Default'), { recursive: true });
  await writeFile(
    path.join(dirs.profile, 'Default/Preferences'),
    JSON.stringify({ extensions: { ui: { developer_mode: true } } }),
  );
  return dirs;
}

export function browserEnv(dirs, extra = {}) {
  return {
    ...process.env,
    ...extra,
    HOME: dirs.home,
    XDG_CONFIG_HOME: dirs.config,
    XDG_CACHE_HOME: dirs.cache,
    TMPDIR: dirs.tmp,
    KEYPLACE_DATA_DIR: dirs.data,
  };
}

export async function installHost(dirs) {
  const bin = hostBinary();
  try {
    await run(bin, ['install', '--browser', 'chromium', '--profile-dir', dirs.profile], {
      env: { ...process.env, HOME: dirs.home, KEYPLACE_DATA_DIR: dirs.data, XDG_CONFIG_HOME: dirs.config },
      timeout: 30_000,
    });
  } catch (err) {
    throw new Error(`keyplace-host install failed (${bin}): ${err.stderr || err.message}`);
  }
  const manifests = await readdir(path.join(dirs.profile, 'NativeMessagingHosts')).catch(() => []);
  if (!manifests.some((f) => f.endsWith('.json'))) {
    throw new Error(`keyplace-host install wrote no manifest into ${dirs.profile}/NativeMessagingHosts/`);
  }
}

/**
 * `testHosts` {names, spkiSha256}: these host names resolve to the loopback and the test's certificate counts
 * as valid (so an HTTPS test page is a secure context with no certificate error).
 */
export function chromiumArgs(extensionDir, testHosts = null) {
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
  if (extensionDir) args.push(`--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`);
  // No test reaches a real name server: a host name that is not the test's own fails at once. Chromium's own
  // resolver sometimes took 1-5 s to give up on a name such as keyplace.invalid here, which is long enough to
  // turn a SecurityError (failed .well-known/webauthn fetch) into the request's timeout.
  const mapped = (testHosts?.names ?? []).map((name) => `MAP ${name} 127.0.0.1`);
  args.push(`--host-resolver-rules=${[...mapped, 'MAP * ~NOTFOUND', 'EXCLUDE localhost', 'EXCLUDE 127.0.0.1'].join(', ')}`);
  if (testHosts) args.push(`--ignore-certificate-errors-spki-list=${testHosts.spkiSha256}`);
  return args;
}

/**
 * One Chromium with Keyplace loaded and its host installed, in fresh temp dirs (`dataDir`: use this
 * KEYPLACE_DATA_DIR instead of a fresh one; `uiLanguage`: the browser's language, e.g. 'de' — Debian's Chromium
 * has only the en-US resource pack, yet --lang picks the extension's _locales catalogue, which is what counts here).
 * Returns {context, dirs, worker(), newPage(), close()}; close() also deletes the temp dirs.
 */
export async function launchKeyplace({
  extension = true,
  host = extension,
  extensionDir = EXTENSION_DIR,
  env = {},
  dataDir,
  keepWelcome = false,
  testHosts = null,
  headless = true,
  uiLanguage = null,
} = {}) {
  checkBuildOutputs({ extension: extension && extensionDir === EXTENSION_DIR, host });
  const dirs = await makeTempDirs();
  // A given KEYPLACE_DATA_DIR (e.g. shared with a Firefox: one passkey, two browsers) is used as it is
  // and, being outside dirs.root, is not deleted by close().
  if (dataDir) dirs.data = dataDir;
  let context;
  try {
    if (host) await installHost(dirs);
    context = await chromium.launchPersistentContext(dirs.profile, {
      executablePath: CHROMIUM,
      // headless false: a person's window (xtask/demo.mjs).
      headless,
      args: [...chromiumArgs(extension ? extensionDir : null, testHosts), ...(uiLanguage ? [`--lang=${uiLanguage}`] : [])],

      // The host inherits the browser's environment (e.g. KEYPLACE_TPM_TCTI for a test's own swtpm).
      env: browserEnv(dirs, env),
      // Keep the real size of extension-created windows.
      viewport: null,
    });
  } catch (err) {
    await rm(dirs.root, { recursive: true, force: true });
    throw err;
  }
  // Locator waits fail within 15 s with Playwright's call log rather than hanging the suite.
  context.setDefaultTimeout(15_000);
  // Keyplace opens its first-run page on install; it would take the focus the browser's own WebAuthn
  // needs, so it is closed before a test starts (keepWelcome: a test that checks it).
  if (extension && extensionDir === EXTENSION_DIR && !keepWelcome) {
    const welcome = await firstRunPage(context).catch(() => null);
    await welcome?.close().catch(() => {});
  }
  const session = {
    context,
    dirs,
    worker: () => serviceWorker(context),
    async newPage(url) {
      const page = await context.newPage();
      if (url) await page.goto(url);
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      await rm(dirs.root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
  return session;
}

/** Keyplace's first-run page (welcome.html), opened by the extension itself on install. */
export function firstRunPage(context, { timeout = 15_000 } = {}) {
  const url = `${EXTENSION_ORIGIN}/welcome.html`;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (fn, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      context.off('page', follow);
      fn(value);
    };
    const timer = setTimeout(() => finish(reject, new Error(`no first-run page within ${timeout} ms`)), timeout);
    // A tab can be announced before its URL is known: follow each one until it commits a URL.
    const follow = (page) => {
      if (page.url() === url) return finish(resolve, page);
      page.waitForURL(url, { timeout, waitUntil: 'commit' }).then(() => finish(resolve, page), () => {});
    };
    context.on('page', follow);
    for (const page of context.pages()) follow(page);
  });
}

export async function serviceWorker(context, origin = EXTENSION_ORIGIN) {
  const isOurs = (w) => w.url().startsWith(origin);
  return context.serviceWorkers().find(isOurs) ?? (await context.waitForEvent('serviceworker', { predicate: isOurs }));
}

const isConsent = (url) => url.includes('/consent.html');

/**
 * Resolves with the next Keyplace consent window (an extension page whose URL contains /consent.html).
 * Call it BEFORE starting the ceremony so the event cannot be missed. Waits for events only.
 */
export function nextConsentWindow(context, { timeout = 30_000 } = {}) {
  let cancel;
  const promise = new Promise((resolve, reject) => {
    const done = (fn, value) => {
      clearTimeout(timer);
      context.off('page', onPage);
      fn(value);
    };
    const timer = setTimeout(() => done(reject, new Error(`no consent window within ${timeout} ms`)), timeout);
    const onPage = (page) => {
      if (isConsent(page.url())) return void page.waitForLoadState('domcontentloaded').then(() => done(resolve, page), () => done(resolve, page));
      // A new window can be announced before its URL is known: follow it until it commits a URL.
      page.waitForURL((u) => u.href !== 'about:blank', { timeout, waitUntil: 'commit' }).then(
        () => {
          if (isConsent(page.url())) page.waitForLoadState('domcontentloaded').then(() => done(resolve, page), () => done(resolve, page));
        },
        () => {},
      );
    };
    context.on('page', onPage);
    cancel = () => done(resolve, null);
  });
  // cancel(): stop waiting (the ceremony ended another way); the promise then resolves with null.
  promise.cancel = cancel;
  return promise;
}

/** Records every consent window the context opens from now on (for "no window opened" assertions). */
export function watchConsentWindows(context) {
  const seen = [];
  const onPage = (page) => seen.push(page);
  context.on('page', onPage);
  return {
    consentPages: () => seen.filter((p) => isConsent(p.url())),
    stop: () => context.off('page', onPage),
  };
}

/**
 * The consent pages the extension has open right now, asked from the extension itself
 * (chrome.runtime.getContexts), so the answer does not depend on Playwright's page events.
 */
export async function openConsentContexts(context) {
  const worker = await serviceWorker(context);
  return worker.evaluate(async () => {
    const contexts = await chrome.runtime.getContexts({});
    return contexts.filter((c) => (c.documentUrl ?? '').includes('/consent.html')).map((c) => c.documentUrl);
  });
}

/**
 * Chromium's own virtual authenticator on this page's target (the baseline and the "Browser" store).
 * Returns {client, authenticatorId, credentials(), remove()}.
 */
export async function virtualAuthenticator(page, overrides = {}) {
  const client = await page.context().newCDPSession(page);
  await client.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await client.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      ...overrides,
    },
  });
  return {
    client,
    authenticatorId,
    credentials: async () => (await client.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    remove: () => client.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId }),
  };
}

/** The extension's manifest as built (for the benchmark and for finding the shim). */
export async function extensionManifest(extensionDir = EXTENSION_DIR) {
  return JSON.parse(await readFile(path.join(extensionDir, 'manifest.json'), 'utf8'));
}

export async function chromiumVersion() {
  const { stdout } = await run(CHROMIUM, ['--version'], { env: { ...process.env } });
  return stdout.trim();
}
