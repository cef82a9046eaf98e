// Passkeys the browser made, recorded in chrome.storage.local from public facts only (never keys), and the
// popup's rename / delete, which go to the host for a Keyplace passkey and to these records otherwise.
import { t } from '../../shared/i18n';
import type { PopupAnswer } from '../../shared/messages';
import type { Host } from '../host/api';
import { shownProblem } from '../host/port';
import { clearMark } from './site-signals';
import { browserWhereabouts, type LocationFacts } from './wording';

const STORAGE_KEY = 'browserPasskeys';
export const MAX_ACCOUNT_NAME = 64;
/**
 * Bounds on what pages can make Keyplace record (each record needs a ceremony the browser answered, but a site can
 * run many): per site, and in all, so storage never fills up and rules and settings can always be written.
 */
export const MAX_RECORDS_PER_SITE = 50;
export const MAX_RECORDS = 2_000;

/** Why a new record for `rpId` cannot be added to `list`, or null. A record of another site is never touched. */
function refusal(list: BrowserPasskey[], rpId: string, credentialId: string): string | null {
  if (list.some((p) => p.credentialId === credentialId && p.rpId !== rpId)) return 'another site has this id';
  if (list.filter((p) => p.rpId === rpId).length >= MAX_RECORDS_PER_SITE) return 'too many for this site';
  if (list.length >= MAX_RECORDS) return 'too many in all';
  return null;
}

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

/** The facts a record's location is worded from. */
export function factsOf(p: BrowserPasskey): LocationFacts {
  return {
    aaguid: p.aaguid,
    backupEligible: p.backupEligible,
    backupState: p.backupState,
    attachment: p.attachment,
    transports: Array.isArray(p.transports) ? p.transports : [],
    fromSignIn: p.seenAt === 'sign-in',
  };
}

// chrome.storage has no transactions: every read-modify-write of the list goes through this queue.
let queue: Promise<unknown> = Promise.resolve();
function serialized<T>(work: () => Promise<T>): Promise<T> {
  const next = queue.then(work, work);
  queue = next.catch(() => undefined);
  return next;
}

export async function loadBrowserPasskeys(): Promise<BrowserPasskey[]> {
  const stored = await chrome.storage.local.get(STORAGE_KEY);
  const list = stored[STORAGE_KEY];
  return Array.isArray(list) ? (list as BrowserPasskey[]) : [];
}

function updateBrowserPasskeys<T>(
  change: (list: BrowserPasskey[]) => { list: BrowserPasskey[]; result: T },
): Promise<T> {
  return serialized(async () => {
    const { list, result } = change(await loadBrowserPasskeys());
    await chrome.storage.local.set({ [STORAGE_KEY]: list });
    return result;
  });
}

const cleanTransports = (t: unknown): string[] =>
  (Array.isArray(t) ? t : []).filter((x): x is string => typeof x === 'string' && x.length <= 32).slice(0, 8);
const cleanAttachment = (a: unknown): string | null => (a === 'platform' || a === 'cross-platform' ? a : null);

/**
 * After a Browser-path registration: where the new passkey went (replaces an older record of the same id and site).
 * Returns false when it was not recorded (another site's id, or a bound reached).
 */
export async function recordBrowserRegistration(
  rpId: string,
  userName: string,
  summary: { authenticatorAttachment: unknown; transports: unknown },
  facts: { aaguid: string; credentialId: string; flags: { be: boolean; bs: boolean }; signCount: number },
): Promise<boolean> {
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
  return updateBrowserPasskeys((list) => {
    const others = list.filter((p) => !(p.credentialId === record.credentialId && p.rpId === rpId));
    if (refusal(others, rpId, record.credentialId)) return { list, result: false };
    return { list: [...others, record], result: true };
  });
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
    if (refusal(list, rpId, credentialId)) return { list, result: false };
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
  if (length === 0 || length > MAX_ACCOUNT_NAME)
    throw new Error(t('nameLength', MAX_ACCOUNT_NAME));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) throw new Error(t('nameControlCharacters'));
  return name;
}

const problem = (err: unknown): { ok: false; error: string } => ({ ok: false, error: shownProblem(err) });


/** Popup: a Keyplace passkey is renamed in the host (both browsers see it); a recorded one in storage. */
export async function renamePasskey(
  host: Host,
  credentialId: unknown,
  keyplace: unknown,
  userName: unknown,
): Promise<PopupAnswer> {
  try {
    if (typeof credentialId !== 'string' || !credentialId) throw new Error(t('noPasskeyNamed'));
    const name = checkAccountName(userName);
    const renamed =
      keyplace === true ? await host.rename(credentialId, name) : await renameBrowserPasskey(credentialId, name);
    return renamed ? { ok: true } : { ok: false, error: t('passkeyGone') };
  } catch (err) {
    return problem(err);
  }
}

/** Popup: a Keyplace passkey is destroyed in its store; a recorded one is only forgotten. */
export async function deletePasskey(host: Host, credentialId: unknown, keyplace: unknown): Promise<PopupAnswer> {
  try {
    if (typeof credentialId !== 'string' || !credentialId) throw new Error(t('noPasskeyNamed'));
    const gone = keyplace === true ? await host.delete(credentialId) : await forgetBrowserPasskey(credentialId);
    await clearMark(credentialId);
    return gone ? { ok: true } : { ok: false, error: t('passkeyGone') };
  } catch (err) {
    return problem(err);
  }
}

/** The person keeps a passkey its site disowned (Signal API): it is offered at sign-in again. */
export async function keepPasskey(credentialId: unknown): Promise<PopupAnswer> {
  try {
    if (typeof credentialId !== 'string' || !credentialId) throw new Error(t('noPasskeyNamed'));
    await clearMark(credentialId);
    return { ok: true };
  } catch (err) {
    return problem(err);
  }
}
