// The popup's lists: the host's pages of Keyplace passkeys merged with the recorded browser passkeys, in the
// host's order, so that a site's passkeys stay together whichever page they come in.
import { t } from '../../shared/i18n';
import type { PageToken, PasskeyRow, PopupList, PopupPage } from '../../shared/messages';
import { annotate, loadMarks } from './site-signals';
import type { Host, HostListPage, HostSlimCredential } from '../host/api';
import { shownProblem } from '../host/port';

import { noticeFor } from '../notices';
import { type BrowserPasskey, factsOf, loadBrowserPasskeys } from './storage';
import { browserWhereabouts, keyplaceWhereabouts } from './wording';

/** What paging needs of the host (a fake in unit tests). */
export type PagingHost = Pick<Host, 'listPage'>;

function keyplaceRow(c: HostSlimCredential): PasskeyRow {
  const where = keyplaceWhereabouts(c.store, c.imported_from, c.held_by_tpm);
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

const matchesQuery = (p: BrowserPasskey, query: string) =>
  p.rpId.toLowerCase().includes(query) || p.userName.toLowerCase().includes(query);

/**
 * One page of every site's passkeys: the host's page (slim rows) with the recorded browser passkeys that fall in
 * it by the host's order (after the previous page's last host row, up to this page's last one; all that are left
 * on the last page), so that a site's passkeys stay together whichever page they come in.
 */
export function mergePage(
  page: HostListPage<HostSlimCredential>,
  recorded: BrowserPasskey[],
  after: PageToken | null,
): { rows: PasskeyRow[]; next: PageToken | null } {
  const last = page.credentials.at(-1);
  const next: PageToken | null =
    page.next && last ? { cursor: page.next, rpId: last.rp_id, userName: last.user_name } : null;
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
  return { rows, next };
}

/** The host's next page merged with the recorded passkeys; an unreachable host gives an empty page and its problem. */
async function everySitePage(host: PagingHost, recorded: BrowserPasskey[], query: string, after: PageToken | null) {
  let hostProblem: string | null = null;
  const empty: HostListPage<HostSlimCredential> = { credentials: [], next: null, total: 0 };
  const page = await host
    .listPage<HostSlimCredential>({
      slim: true,
      limit: POPUP_PAGE_SIZE,
      ...(query ? { query } : {}),
      ...(after ? { after: after.cursor } : {}),
    })
    .catch((err: unknown) => {
      hostProblem = shownProblem(err);
      return empty;
    });
  return { ...mergePage(page, recorded, after), hostProblem, hostTotal: page.total };
}

/**
 * The popup's first answer: the site's own passkeys (one indexed `list` per RP ID that works there), the first
 * page of every site's (matching `query`), and the total, in parallel. Never the whole list: the host's answer has
 * to stay under the browser's 1 MiB cap, and the popup builds one page of rows at a time.
 */
export async function listPasskeys(
  host: PagingHost,
  ask: { tabId?: number; site?: string; query?: string } = {},
): Promise<PopupList> {
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
    recordedP.then((recorded) =>
      everySitePage(host, query ? recorded.filter((p) => matchesQuery(p, query)) : recorded, query, null),
    ),
  ]);
  const marks = await loadMarks().catch(() => ({}));
  annotate(page.rows, marks);
  const current = currentHost.map(keyplaceRow);
  for (const p of recorded) if (siteIds.includes(p.rpId)) current.push(browserRow(p));
  current.sort((a, b) => compareKeys(a.rpId, a.userName, b.rpId, b.userName));
  annotate(current, marks);
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
export async function listMorePasskeys(
  host: PagingHost,
  ask: { query?: unknown; after?: unknown },
): Promise<PopupPage> {
  const after = ask.after as PageToken | undefined;
  if (
    !after ||
    typeof after.cursor !== 'string' ||
    typeof after.rpId !== 'string' ||
    typeof after.userName !== 'string'
  ) {
    return { rows: [], next: null, hostProblem: t('pageMissing') };
  }
  const query = (typeof ask.query === 'string' ? ask.query : '').trim().toLowerCase();
  const recorded = await loadBrowserPasskeys();
  const page = await everySitePage(
    host,
    query ? recorded.filter((p) => matchesQuery(p, query)) : recorded,
    query,
    after,
  );
  const marks = await loadMarks().catch(() => ({}));
  return { rows: annotate(page.rows, marks), next: page.next, hostProblem: page.hostProblem };
}
