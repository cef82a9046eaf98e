// One-line notices for a tab when Keyplace stepped aside (its host is missing or broken) and the browser
// handled the ceremony: a "!" on the toolbar button for that tab, the line as its title, and the same line
// at the top of the popup. Never a dead end: the page's ceremony has already gone to the browser.

import { t } from '../shared/i18n';

const KEY = 'tabNotices';

export interface TabNotice {
  /** The RP ID of the ceremony the browser handled. */
  site: string;
  text: string;
  at: number;
}

type Notices = Record<string, TabNotice>;

// chrome.storage.session survives a worker restart (the badge does too) but not the browser.
const area = (): chrome.storage.StorageArea | undefined => chrome.storage?.session;
let cache: Promise<Notices> | null = null;

function load(): Promise<Notices> {
  cache ??= (async () => {
    const stored = (
      await area()
        ?.get(KEY)
        .catch(() => undefined)
    )?.[KEY];
    return stored && typeof stored === 'object' ? (stored as Notices) : {};
  })();
  return cache;
}

async function save(notices: Notices): Promise<void> {
  await area()
    ?.set({ [KEY]: notices })
    .catch(() => undefined);
}

/** One line, whatever the reason said. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

export async function showNotice(tabId: number, site: string, text: string): Promise<void> {
  const line = oneLine(text);
  const notices = await load();
  notices[String(tabId)] = { site, text: line, at: Date.now() };
  await Promise.all([
    chrome.action.setBadgeText({ tabId, text: '!' }).catch(() => undefined),
    chrome.action.setBadgeBackgroundColor?.({ tabId, color: '#b42318' }).catch(() => undefined),
    chrome.action.setTitle({ tabId, title: line }).catch(() => undefined),
    save(notices),
  ]);
}

/** The host answered again for this tab: the notice no longer holds. Cheap when there is none. */
export async function clearNotice(tabId: number): Promise<void> {
  const notices = await load();
  if (!notices[String(tabId)]) return;
  delete notices[String(tabId)];
  await Promise.all([
    chrome.action.setBadgeText({ tabId, text: '' }).catch(() => undefined),
    chrome.action.setTitle({ tabId, title: t('actionTitle') }).catch(() => undefined),

    save(notices),
  ]);
}

const sameSite = (rpId: string, site: string) =>
  rpId === site || site.endsWith(`.${rpId}`) || rpId.endsWith(`.${site}`);

/** The notice of a tab, or else the newest one for a site (the popup opened as a page with ?site=). */
export async function noticeFor(query: { tabId?: number; site?: string }): Promise<string | null> {
  const notices = await load();
  if (typeof query.tabId === 'number') {
    const own = notices[String(query.tabId)];
    if (own) return own.text;
  }
  const site = query.site;
  if (!site) return null;
  const matching = Object.values(notices).filter((n) => sameSite(n.site, site));
  matching.sort((a, b) => b.at - a.at);
  return matching[0]?.text ?? null;
}

/** Forgets a closed tab's notice (the browser drops its badge by itself). */
export async function forgetTab(tabId: number): Promise<void> {
  const notices = await load();
  if (!notices[String(tabId)]) return;
  delete notices[String(tabId)];
  await save(notices);
}
