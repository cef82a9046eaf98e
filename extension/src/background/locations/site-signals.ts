// What sites said about their passkeys through the Signal API (WebAuthn L3 §5.1.10): a passkey the site no longer
// knows or accepts is hidden from sign-in and marked in the popup, where the person deletes it or keeps it.
// Kept in chrome.storage.local by credential id; nothing is ever deleted on a site's word alone.
import { t } from '../../shared/i18n';
import type { PasskeyRow } from '../../shared/messages';

const STORAGE_KEY = 'siteSignals';
/** A site can mark only its own passkeys; this bounds what a misbehaving one can make Keyplace store. */
const MAX_MARKS = 5_000;

export type SignalReason = 'unknown' | 'not-accepted';

export interface SiteMark {
  rpId: string;
  reason: SignalReason;
  at: number;
}

type Marks = Record<string, SiteMark>;

let queue: Promise<unknown> = Promise.resolve();
function serialized<T>(work: () => Promise<T>): Promise<T> {
  const next = queue.then(work, work);
  queue = next.catch(() => undefined);
  return next;
}

export async function loadMarks(): Promise<Marks> {
  const stored = (await chrome.storage.local.get(STORAGE_KEY))[STORAGE_KEY];
  return stored && typeof stored === 'object' ? (stored as Marks) : {};
}

/** Marks these passkeys of `rpId` (reason given) and clears the marks of `cleared`; one write. */
export function updateMarks(rpId: string, marked: string[], reason: SignalReason, cleared: string[] = []): Promise<void> {
  if (!marked.length && !cleared.length) return Promise.resolve();
  return serialized(async () => {
    const marks = await loadMarks();
    for (const id of cleared) if (marks[id]?.rpId === rpId) delete marks[id];
    for (const id of marked) {
      if (Object.keys(marks).length >= MAX_MARKS && !marks[id]) break;
      marks[id] = { rpId, reason, at: Date.now() };
    }
    await chrome.storage.local.set({ [STORAGE_KEY]: marks });
  });
}

/** The person kept the passkey (or deleted it): the mark goes. */
export function clearMark(credentialId: string): Promise<void> {
  return serialized(async () => {
    const marks = await loadMarks();
    if (!Object.hasOwn(marks, credentialId)) return;
    delete marks[credentialId];
    await chrome.storage.local.set({ [STORAGE_KEY]: marks });
  });
}

/** Sign-in: the candidates a site has not disowned. A passkey the page names in allowCredentials it knows again. */
export function withoutDisowned<T extends { credential_id: string }>(
  found: T[],
  marks: Marks,
  allowCredentialIds: readonly string[],
): T[] {
  return found.filter((c) => !Object.hasOwn(marks, c.credential_id) || allowCredentialIds.includes(c.credential_id));
}

/** The popup's words for a mark. */
export function markWords(mark: SiteMark): string {
  return mark.reason === 'unknown' ? t('siteSaysUnknown', mark.rpId) : t('siteSaysNotAccepted', mark.rpId);

}

/** Rows with the site's word on them, for the popup. */
export function annotate(rows: PasskeyRow[], marks: Marks): PasskeyRow[] {
  for (const row of rows) {
    const mark = Object.hasOwn(marks, row.credentialId) ? marks[row.credentialId] : undefined;
    if (mark && mark.rpId === row.rpId) row.siteSays = markWords(mark);
  }
  return rows;
}
