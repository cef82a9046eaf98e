// The popup: the current site first (its passkeys and its rule), then every other site; each passkey with
// where it is in plain words, when it was made and used, and ways to rename or delete it. Site and account
// names come from web pages, so they only ever go in as text.
//
// With thousands of passkeys, the popup never holds or builds them all: the background answers this site's
// passkeys and the first page of every site's (with the total), further pages come on "Show more" (or when
// it scrolls into view), and a search goes to the host (debounced). Each page's rows are built off-document in
// one fragment and go in with one append.
import type { Choice, LocationIcon, PageToken, PasskeyRow, PopupAnswer, PopupList, PopupPage, RulesAnswer, SiteRule, UiMessage } from '../../shared/messages';
import { type MessageKey, messagesLanguage, t } from '../../shared/i18n';
import { byId, element } from '../common/dom';
import { localizePage } from '../common/localize';
import { copyPlace, loadDevices, openCarryDialog, openCopyDialog } from './devices';
import { openEnrolDialog } from './enrol';
import { openRecoveryDialog } from './recovery';
import { setUpImport } from './import';

localizePage();

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const SVG = 'http://www.w3.org/2000/svg';

// Simple line icons (24×24, stroked with currentColor so both themes work).
const ICONS: Record<LocationIcon, string[]> = {
  chip: ['M7 7h10v10H7z', 'M10 10h4v4h-4z', 'M9 3v4M15 3v4M9 17v4M15 17v4M3 9h4M3 15h4M17 9h4M17 15h4'],
  vault: ['M4 5h16v14H4z', 'M12 12m-3 0a3 3 0 1 0 6 0a3 3 0 1 0 -6 0', 'M12 9v1M12 14v1M6 19v2M18 19v2'],
  cloud: ['M7 18h10a4 4 0 0 0 .6-7.95A6 6 0 0 0 6.2 9.2 4.5 4.5 0 0 0 7 18z'],
  key: ['M8 14m-4 0a4 4 0 1 0 8 0a4 4 0 1 0 -8 0', 'M11 11l9-9M16 6l3 3M14 8l2 2'],
  device: ['M3 5h18v11H3z', 'M8 20h8M12 16v4'],
};
const iconCache = new Map<LocationIcon, SVGSVGElement>();

function icon(kind: LocationIcon): SVGSVGElement {
  let svg = iconCache.get(kind);
  if (!svg) {
    svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    for (const d of ICONS[kind] ?? ICONS.device) {
      const path = document.createElementNS(SVG, 'path');
      path.setAttribute('d', d);
      svg.append(path);
    }
    iconCache.set(kind, svg);
  }
  return svg.cloneNode(true) as SVGSVGElement;
}

const CHOICE_WORDS: Record<Choice, MessageKey> = {
  hardware: 'popupChoiceHardware',
  vault: 'popupChoiceVault',
  browser: 'popupChoiceBrowser',
  ask: 'popupChoiceAsk',
};

interface Current {
  site: string | null;
  tabId?: number;
}

let list: PopupList = { current: [], rows: [], next: null, total: 0, hostProblem: null, notice: null };
let current: Current = { site: null };
let rule: SiteRule | null = null;
/** The query the shown list answers (lowercased, trimmed). */
let query = '';
/** Every site's rows received so far (pages), and how many of them. */
let loaded = 0;
let next: PageToken | null = null;
/** The last site group of "every site", so that the next page's first rows join it. */
let lastGroup: { rpId: string; ul: HTMLElement } | null = null;
/** Bumped by every new listing: answers to an older one are dropped. */
let generation = 0;
let loadingMore = false;
const SEARCH_DELAY_MS = 150;
const numberFormat = new Intl.NumberFormat(messagesLanguage());
const passkeys = (n: number) => t(n === 1 ? 'popupPasskeyCountOne' : 'popupPasskeyCountOther', numberFormat.format(n));

const send = <T>(message: UiMessage): Promise<T> => chrome.runtime.sendMessage(message) as Promise<T>;
const accountOf = (row: PasskeyRow) => row.userName || t('popupUnknownAccount');
/** Passkeys usable on the current page: its RP ID is the host name or a parent domain of it. */
/** (The background looks up the same RP IDs: the host name and its parent domains, not a bare top-level domain.) */
const isCurrent = (row: PasskeyRow) =>
  !!current.site && (row.rpId === current.site || (row.rpId.includes('.') && current.site.endsWith(`.${row.rpId}`)));

function describeUse(row: PasskeyRow): string {
  const created = t('popupCreated', dateFormat.format(row.createdAt));
  const used = row.lastUsedAt ? t('popupLastUsed', dateFormat.format(row.lastUsedAt)) : t('popupNeverUsed');
  const count = row.signCount === null ? t('popupSignCountUnknown') : t('popupSignCount', row.signCount);
  return `${created} · ${used} · ${count}`;
}

async function whereAmI(): Promise<Current> {
  const asked = new URLSearchParams(location.search).get('site');
  if (asked) return { site: asked.toLowerCase() };
  try {
    // activeTab: opening the popup from the toolbar lets it read the page's URL.
    const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
    const url = tab?.url ? new URL(tab.url) : null;
    if (url && (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname) {
      return { site: url.hostname.replace(/^\[|\]$/g, ''), tabId: tab.id };
    }
  } catch {
    // No tab (e.g. opened as a page): no current site.
  }
  return { site: null };
}

function passkeyItem(row: PasskeyRow): HTMLElement {
  const account = accountOf(row);
  const renameLabel = t('popupRenameLabel', account);
  const renameButton = element('button', { type: 'button', 'aria-label': renameLabel, 'data-action': 'rename' }, t('popupRename'));
  const verb = row.keyplace ? t('popupDelete') : t('popupForget');
  const deleteLabel = row.keyplace ? t('popupDeleteLabel', account) : t('popupForgetLabel', account);
  const deleteButton = element('button', { type: 'button', 'aria-label': deleteLabel, 'data-action': 'delete' }, verb);
  // A vault passkey can be copied to another of your devices, with another one's approval (ARCHITECTURE.md rule 10).
  const inVault = row.keyplace && row.icon === 'vault';
  const copyLabel = t('popupCopyLabel', account);
  const copyButton = inVault
    ? element('button', { type: 'button', 'aria-label': copyLabel, 'data-action': 'copy' }, t('popupCopy'))
    : null;
  const copies = inVault ? copyPlace(row.credentialId) : undefined;
  const where = copies || row.location;
  const li = element(
    'li',
    {},
    element(
      'div',
      { class: 'row' },
      element('div', { class: 'account' }, account),
      element('div', { class: 'row-actions' }, ...(copyButton ? [copyButton] : []), renameButton, deleteButton),
    ),
    element('div', { class: 'location' }, icon(row.icon), element('span', {}, where)),
    element('div', { class: 'why' }, describeUse(row)),
  );
  if (row.keyplace && row.icon === 'chip') li.append(element('div', { class: 'why' }, t('popupHardwareStays')));
  if (inVault && !copies) li.append(element('div', { class: 'why' }, t('popupVaultOnlyHere')));
  if (row.siteSays) li.append(siteSaysLine(li, row, row.siteSays));
  li.dataset.id = row.credentialId;
  copyButton?.addEventListener('click', () =>
    openCopyDialog(
      row,
      () => replaceRow(row),
      () => focusRow(row.credentialId, 'copy'),
    ),
  );
  renameButton.addEventListener('click', () => startRename(li, row));
  deleteButton.addEventListener('click', () => confirmDelete(row));
  return li;
}

/** What the site signalled about this passkey (Signal API), with "Keep" beside the row's own delete. */
function siteSaysLine(li: HTMLElement, row: PasskeyRow, words: string): HTMLElement {
  const keepLabel = t('popupKeepLabel', accountOf(row));
  const keepButton = element('button', { type: 'button', 'aria-label': keepLabel }, t('popupKeep')) as HTMLButtonElement;
  const line = element('div', { class: 'site-says', role: 'status' }, element('span', {}, words), keepButton);
  keepButton.addEventListener('click', async () => {
    keepButton.disabled = true;
    const answer = await send<PopupAnswer>({ type: 'popup:keep', credentialId: row.credentialId });
    if (!answer?.ok) {
      keepButton.disabled = false;
      return;
    }
    row.siteSays = undefined;
    li.replaceWith(passkeyItem(row));
    focusRow(row.credentialId, 'delete');
  });
  return line;
}

function ruleLine(): HTMLElement | null {
  if (!rule || typeof rule.choice !== 'string') return null;
  const words = Object.hasOwn(CHOICE_WORDS, rule.choice) ? t(CHOICE_WORDS[rule.choice]) : rule.choice;
  const text = rule.ruleSite ? t('popupRuleSite', words) : t('popupRuleDefault', words);
  const change = element('button', { type: 'button', 'aria-label': t('popupChangeRulesLabel') }, t('popupChange'));
  change.addEventListener('click', () => void chrome.runtime.openOptionsPage());
  return element('p', { class: 'rule muted', id: 'rule' }, element('span', {}, text), change);
}

const matchesQuery = (row: PasskeyRow) => !query || row.rpId.toLowerCase().includes(query) || row.userName.toLowerCase().includes(query);

function siteGroup(rpId: string): { section: HTMLElement; ul: HTMLElement } {
  const ul = element('ul', { class: 'passkeys' });
  return { section: element('section', { class: 'site' }, element('h3', {}, rpId), ul), ul };
}

/** One page of every site's rows into `others`, off-document first: one append, one layout. */
function appendPage(rows: PasskeyRow[]): HTMLElement | null {
  const others = byId('others');
  const fragment = document.createDocumentFragment();
  let first: HTMLElement | null = null;
  for (const row of rows) {
    if (isCurrent(row)) continue; // shown under "This site"
    const li = passkeyItem(row);
    first ??= li;
    if (lastGroup?.rpId === row.rpId) {
      lastGroup.ul.append(li);
    } else {
      const group = siteGroup(row.rpId);
      group.ul.append(li);
      fragment.append(group.section);
      lastGroup = { rpId: row.rpId, ul: group.ul };
    }
  }
  others.append(fragment);
  const heading = byId('others-heading');
  heading.hidden = !others.firstElementChild;
  return first;
}

function updateCounts(): void {
  byId('count').textContent = list.total || query ? (query ? '' : passkeys(list.total)) : '';
  const matches = list.total === 1 ? t('popupMatchesOne') : t('popupMatchesOther', numberFormat.format(list.total));
  byId('matches').textContent = query ? matches : '';
  byId('empty').hidden = list.total > 0 || !!current.site || !!query || !!list.hostProblem;
  const more = byId('more') as HTMLButtonElement;
  more.hidden = !next;
  const left = Math.max(list.total - loaded, 0);
  more.textContent = left ? t('popupShowMoreLeft', numberFormat.format(left)) : t('popupShowMore');
}

function render(): void {
  const notice = byId('notice');
  notice.hidden = !list.notice;
  notice.textContent = list.notice ?? '';
  const problem = byId('host-problem');
  problem.hidden = !list.hostProblem;
  problem.textContent = list.hostProblem ? t('popupHostProblem', list.hostProblem) : '';

  const parts: HTMLElement[] = [];
  if (current.site) {
    const mine = list.current.filter(matchesQuery);
    const section = element(
      'section',
      { 'aria-labelledby': 'this-site', class: 'site current' },
      element('h2', { id: 'this-site' }, t('popupThisSite', current.site)),
    );
    const line = ruleLine();
    if (line) section.append(line);
    section.append(
      mine.length
        ? element('ul', { class: 'passkeys' }, ...mine.map(passkeyItem))
        : element('p', { class: 'muted none' }, query ? t('popupNoMatchHere') : t('popupNoneHere')),
    );
    parts.push(section);
  }
  const othersHeading = current.site ? t('popupOtherSites') : t('popupAllSites');
  parts.push(element('h2', { id: 'others-heading', hidden: '' }, othersHeading), element('div', { id: 'others' }));
  const sites = byId('sites');
  sites.replaceChildren(...parts);
  lastGroup = null;
  loaded = list.rows.length;
  next = list.next;
  appendPage(list.rows);
  updateCounts();
  sites.setAttribute('aria-busy', 'false');
}

/** This site's passkeys and the first page of every site's, for the query in the search box. */
async function reload(): Promise<void> {
  const mine = ++generation;
  const asked = (byId('search') as HTMLInputElement).value.trim().toLowerCase();
  byId('sites').setAttribute('aria-busy', 'true');
  const answer = await send<PopupList>({ type: 'popup:list', tabId: current.tabId, site: current.site ?? undefined, query: asked || undefined });
  if (mine !== generation) return;
  list = answer;
  query = asked;
  render();
}

async function showMore(): Promise<void> {
  if (!next || loadingMore) return;
  loadingMore = true;
  const mine = generation;
  const more = byId('more') as HTMLButtonElement;
  const hadFocus = document.activeElement === more;
  more.setAttribute('aria-disabled', 'true');
  try {
    const page = await send<PopupPage>({ type: 'popup:more', query: query || undefined, after: next });
    if (mine !== generation) return;
    loaded += page.rows.length;
    next = page.next;
    if (page.hostProblem) {
      list.hostProblem = page.hostProblem;
      const problem = byId('host-problem');
      problem.hidden = false;
      problem.textContent = t('popupHostProblem', page.hostProblem);
    }
    const first = appendPage(page.rows);
    updateCounts();
    // The button goes with the last page: keyboard focus moves on to the first passkey that came in.
    if (hadFocus && !next) (first?.querySelector<HTMLElement>('[data-action="rename"]') ?? byId('search')).focus();
  } finally {
    loadingMore = false;
    more.removeAttribute('aria-disabled');
  }
}

let searchTimer: ReturnType<typeof setTimeout> | undefined;
function onSearchInput(): void {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => void reload(), SEARCH_DELAY_MS);
}

/** A row again, in place (its copies changed): the rest of the list stays as it is. */
function replaceRow(row: PasskeyRow): void {
  for (const li of byId('sites').querySelectorAll<HTMLElement>('li[data-id]')) {
    if (li.dataset.id === row.credentialId) li.replaceWith(passkeyItem(row));
  }
}

function focusRow(credentialId: string, action: 'rename' | 'delete' | 'copy'): void {
  const li = [...byId('sites').querySelectorAll<HTMLElement>('li[data-id]')].find((x) => x.dataset.id === credentialId);
  (li?.querySelector<HTMLElement>(`[data-action="${action}"]`) ?? byId('search')).focus();
}

function startRename(li: HTMLElement, row: PasskeyRow): void {
  const account = accountOf(row);
  const nameLabel = t('popupNewNameLabel', account);
  const input = element('input', { type: 'text', 'aria-label': nameLabel, maxlength: '64', autocomplete: 'off' }) as HTMLInputElement;
  input.value = row.userName;
  const error = element('p', { role: 'alert' });
  const cancel = element('button', { type: 'button' }, t('commonCancel'));
  const save = element('button', { type: 'submit', class: 'primary' }, t('commonSave'));
  const form = element('form', { class: 'rename' }, input, save, cancel, error);
  const shown = li.querySelector<HTMLElement>('.row');
  if (!shown) return;
  shown.hidden = true;
  li.prepend(form);
  const stop = () => {
    form.remove();
    shown.hidden = false;
    focusRow(row.credentialId, 'rename');
  };
  cancel.addEventListener('click', stop);
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      stop();
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = input.value.trim();
    if (!name || [...name].length > 64) {
      error.textContent = t('nameLength', 64);
      input.focus();
      return;
    }
    const answer = await send<PopupAnswer>({ type: 'popup:rename', credentialId: row.credentialId, keyplace: row.keyplace, userName: name });
    if (!answer?.ok) {
      error.textContent = answer?.error ?? t('noAnswer');
      input.focus();
      return;
    }
    // In place: the rest of the list (and how far it was scrolled) stays as it is.
    row.userName = name;
    li.replaceWith(passkeyItem(row));
    focusRow(row.credentialId, 'rename');
  });
  input.focus();
  input.select();
}

function confirmDelete(row: PasskeyRow): void {
  const dialog = byId('confirm') as HTMLDialogElement;
  const account = accountOf(row);
  const destroyed = row.icon === 'chip' ? t('popupDeleteTextChip', account, row.rpId) : t('popupDeleteTextVault', account, row.rpId);
  byId('confirm-title').textContent = row.keyplace ? t('popupDeleteTitle') : t('popupForgetTitle');
  byId('confirm-text').textContent = row.keyplace ? destroyed : t('popupForgetText', account, row.rpId, row.provider);
  byId('confirm-error').textContent = '';
  const go = byId('confirm-go') as HTMLButtonElement;
  const keep = byId('confirm-keep') as HTMLButtonElement;
  go.textContent = row.keyplace ? t('popupDeletePasskey') : t('popupForgetPasskey');
  go.disabled = false;

  const done = () => {
    go.onclick = null;
    keep.onclick = null;
  };
  keep.onclick = () => {
    dialog.close();
    done();
    focusRow(row.credentialId, 'delete');
  };
  dialog.oncancel = () => {
    done();
    queueMicrotask(() => focusRow(row.credentialId, 'delete'));
  };
  go.onclick = async () => {
    go.disabled = true;
    const answer = await send<PopupAnswer>({ type: 'popup:delete', credentialId: row.credentialId, keyplace: row.keyplace });
    if (!answer?.ok) {
      byId('confirm-error').textContent = answer?.error ?? t('noAnswer');
      go.disabled = false;
      return;
    }
    dialog.close();
    done();
    removeRow(row);
    byId('search').focus();
  };
  dialog.showModal();
  keep.focus();
}

/** A deleted or forgotten passkey leaves the list (and its site, when it was the last one there). */
function removeRow(row: PasskeyRow): void {
  const li = [...byId('sites').querySelectorAll<HTMLElement>('li[data-id]')].find((x) => x.dataset.id === row.credentialId);
  const ul = li?.parentElement;
  li?.remove();
  list.current = list.current.filter((r) => r.credentialId !== row.credentialId);
  list.total = Math.max(list.total - 1, 0);
  if (li) loaded = Math.max(loaded - (isCurrent(row) ? 0 : 1), 0);
  if (ul && !ul.firstElementChild) {
    const section = ul.closest('section');
    if (section?.classList.contains('current')) {
      ul.replaceWith(element('p', { class: 'muted none' }, t('popupNoneHere')));

    } else {
      if (lastGroup?.ul === ul) lastGroup = null;
      section?.remove();
      byId('others-heading').hidden = !byId('others').firstElementChild;
    }
  }
  updateCounts();
}

/** rules:get answers {ok, value: SiteRule}; anything else (no rules, an error) shows no rule line. */
function asRule(answer: unknown): SiteRule | null {
  const value = answer && typeof answer === 'object' && 'ok' in answer ? (answer as { ok: boolean; value?: unknown }).value : answer;
  return value && typeof value === 'object' && typeof (value as SiteRule).choice === 'string' ? (value as SiteRule) : null;
}

async function main(): Promise<void> {
  byId('search').addEventListener('input', onSearchInput);
  const more = byId('more');
  more.addEventListener('click', () => void showMore());
  // Scrolling near the end loads the next page too; the button stays for the keyboard (and says how many are left).
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) void showMore();
  }, { rootMargin: '0px 0px 300px 0px' }).observe(more);
  byId('carry-open').addEventListener('click', () => openCarryDialog(() => void reload()));
  setUpImport(byId('import-open'), () => void reload());
  for (const mode of ['start', 'join', 'accept', 'approve'] as const) {
    const button = byId(`enrol-${mode}`);
    button.addEventListener('click', () => openEnrolDialog(mode, button));
  }
  for (const mode of ['make', 'restore'] as const) {
    const button = byId(`recovery-${mode}-open`);
    button.addEventListener('click', () => openRecoveryDialog(mode, button, () => void reload()));
  }
  // Where vault passkeys' copies are goes into their rows: the devices come with the first listing.
  const devices = loadDevices();
  current = await whereAmI();
  const ruleAnswer: Promise<SiteRule | null> = current.site
    ? send<RulesAnswer<SiteRule> | SiteRule | undefined>({ type: 'rules:get', site: current.site }).then(asRule, () => null)
    : Promise.resolve(null);
  await devices;
  await reload();
  // The rule comes from the core (Public Suffix List); the list does not wait for it.
  rule = await ruleAnswer;
  if (rule) {
    const line = ruleLine();
    const section = byId('sites').querySelector('section.current');
    if (line && section) section.querySelector('h2')?.after(line);
  }
}

void main();
