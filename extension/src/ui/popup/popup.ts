// The popup: the current site first (its passkeys and its rule), then every other site; each passkey with
// where it is in plain words, when it was made and used, and ways to rename or delete it. Site and account
// names come from web pages, so they only ever go in as text.
import type { Choice, LocationIcon, PasskeyRow, PopupAnswer, PopupList, RulesAnswer, SiteRule, UiMessage } from '../../shared/messages';
import { byId, element } from '../common/dom';

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

const CHOICE_WORDS: Record<Choice, string> = {
  hardware: 'Hardware — TPM on this computer',
  vault: 'Keyplace vault on this computer',
  browser: 'Browser or another passkey manager',
  ask: 'Ask each time',
};

interface Current {
  site: string | null;
  tabId?: number;
}

let list: PopupList = { rows: [], hostProblem: null, notice: null };
let current: Current = { site: null };
let rule: SiteRule | null = null;

const send = <T>(message: UiMessage): Promise<T> => chrome.runtime.sendMessage(message) as Promise<T>;
const accountOf = (row: PasskeyRow) => row.userName || 'Unknown account';
/** Passkeys usable on the current page: its RP ID is the host name or a parent domain of it. */
const isCurrent = (row: PasskeyRow) => !!current.site && (row.rpId === current.site || current.site.endsWith(`.${row.rpId}`));

function describeUse(row: PasskeyRow): string {
  const created = `Created ${dateFormat.format(row.createdAt)}`;
  const used = row.lastUsedAt ? `last used ${dateFormat.format(row.lastUsedAt)}` : 'never used here';
  const count = row.signCount === null ? 'sign count unknown' : `sign count ${row.signCount}`;
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
  const renameButton = element('button', { type: 'button', 'aria-label': `Rename ${account}`, 'data-action': 'rename' }, 'Rename');
  const verb = row.keyplace ? 'Delete' : 'Forget';
  const deleteButton = element('button', { type: 'button', 'aria-label': `${verb} ${account}`, 'data-action': 'delete' }, verb);
  const li = element(
    'li',
    {},
    element(
      'div',
      { class: 'row' },
      element('div', { class: 'account' }, account),
      element('div', { class: 'row-actions' }, renameButton, deleteButton),
    ),
    element('div', { class: 'location' }, icon(row.icon), element('span', {}, row.location)),
    element('div', { class: 'why' }, describeUse(row)),
  );
  li.dataset.id = row.credentialId;
  li.dataset.search = `${row.rpId} ${account}`.toLowerCase();
  renameButton.addEventListener('click', () => startRename(li, row));
  deleteButton.addEventListener('click', () => confirmDelete(row));
  return li;
}

function ruleLine(): HTMLElement | null {
  if (!rule || typeof rule.choice !== 'string') return null;
  const words = CHOICE_WORDS[rule.choice] ?? rule.choice;
  const text = rule.ruleSite ? `Rule for this site: ${words}` : `No rule for this site; the default: ${words}`;
  const change = element('button', { type: 'button', 'aria-label': 'Change site rules in Keyplace settings' }, 'Change…');
  change.addEventListener('click', () => void chrome.runtime.openOptionsPage());
  return element('p', { class: 'rule muted', id: 'rule' }, element('span', {}, text), change);
}

function render(): void {
  const notice = byId('notice');
  notice.hidden = !list.notice;
  notice.textContent = list.notice ?? '';
  const problem = byId('host-problem');
  problem.hidden = !list.hostProblem;
  problem.textContent = list.hostProblem ? `Keyplace host: ${list.hostProblem}` : '';
  byId('empty').hidden = list.rows.length > 0 || !!current.site;

  const sites = byId('sites');
  const parts: HTMLElement[] = [];
  if (current.site) {
    const mine = list.rows.filter(isCurrent);
    const section = element(
      'section',
      { 'aria-labelledby': 'this-site', class: 'site current' },
      element('h2', { id: 'this-site' }, `This site: ${current.site}`),
    );
    const line = ruleLine();
    if (line) section.append(line);
    section.append(
      mine.length
        ? element('ul', { class: 'passkeys' }, ...mine.map(passkeyItem))
        : element('p', { class: 'muted none' }, 'No passkeys for this site yet.'),
    );
    parts.push(section);
  }
  const others = list.rows.filter((row) => !isCurrent(row));
  if (others.length) {
    parts.push(element('h2', {}, current.site ? 'Other sites' : 'All sites'));
    const bySite = new Map<string, PasskeyRow[]>();
    for (const row of others) {
      const rows = bySite.get(row.rpId);
      if (rows) rows.push(row);
      else bySite.set(row.rpId, [row]);
    }
    for (const [site, rows] of bySite) {
      parts.push(element('section', { class: 'site' }, element('h3', {}, site), element('ul', { class: 'passkeys' }, ...rows.map(passkeyItem))));
    }
  }
  sites.replaceChildren(...parts);
  applySearch();
}

function applySearch(): void {
  const query = (byId('search') as HTMLInputElement).value.trim().toLowerCase();
  let shown = 0;
  for (const section of byId('sites').querySelectorAll<HTMLElement>('section.site')) {
    let any = false;
    for (const li of section.querySelectorAll<HTMLElement>('li')) {
      const match = !query || (li.dataset.search ?? '').includes(query);
      li.hidden = !match;
      if (match) {
        any = true;
        shown++;
      }
    }
    // The current site's section stays (its heading and rule); other sites without a match go.
    if (!section.classList.contains('current')) section.hidden = !any;
  }
  const otherHeading = byId('sites').querySelector<HTMLElement>(':scope > h2');
  if (otherHeading) otherHeading.hidden = !byId('sites').querySelector(':scope > section.site:not(.current):not([hidden])');
  byId('matches').textContent = query ? (shown === 1 ? '1 passkey matches.' : `${shown} passkeys match.`) : '';
}

async function reload(): Promise<void> {
  list = await send<PopupList>({ type: 'popup:list', tabId: current.tabId, site: current.site ?? undefined });
  render();
}

function focusRow(credentialId: string, action: 'rename' | 'delete'): void {
  const li = [...byId('sites').querySelectorAll<HTMLElement>('li')].find((x) => x.dataset.id === credentialId);
  (li?.querySelector<HTMLElement>(`[data-action="${action}"]`) ?? byId('search')).focus();
}

function startRename(li: HTMLElement, row: PasskeyRow): void {
  const account = accountOf(row);
  const input = element('input', { type: 'text', 'aria-label': `New name for ${account}`, maxlength: '64', autocomplete: 'off' }) as HTMLInputElement;
  input.value = row.userName;
  const error = element('p', { role: 'alert' });
  const cancel = element('button', { type: 'button' }, 'Cancel');
  const form = element('form', { class: 'rename' }, input, element('button', { type: 'submit', class: 'primary' }, 'Save'), cancel, error);
  const shown = li.querySelector<HTMLElement>('.row')!;
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
      error.textContent = 'A name must be 1 to 64 characters long.';
      input.focus();
      return;
    }
    const answer = await send<PopupAnswer>({ type: 'popup:rename', credentialId: row.credentialId, keyplace: row.keyplace, userName: name });
    if (!answer?.ok) {
      error.textContent = answer?.error ?? 'Keyplace did not answer.';
      input.focus();
      return;
    }
    await reload();
    focusRow(row.credentialId, 'rename');
  });
  input.focus();
  input.select();
}

function confirmDelete(row: PasskeyRow): void {
  const dialog = byId('confirm') as HTMLDialogElement;
  const account = accountOf(row);
  const place = row.icon === 'chip' ? 'the TPM' : 'the Keyplace vault';
  byId('confirm-title').textContent = row.keyplace ? 'Delete this passkey?' : 'Forget this passkey?';
  byId('confirm-text').textContent = row.keyplace
    ? `The passkey for ${account} on ${row.rpId} is destroyed in ${place}; ${row.rpId} will no longer accept it. ` +
      `Make sure you have another way to sign in to ${row.rpId}.`
    : `The passkey for ${account} on ${row.rpId} is only forgotten by Keyplace; it still lives at ${row.provider}.`;
  byId('confirm-error').textContent = '';
  const go = byId('confirm-go') as HTMLButtonElement;
  const keep = byId('confirm-keep') as HTMLButtonElement;
  go.textContent = row.keyplace ? 'Delete passkey' : 'Forget passkey';
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
      byId('confirm-error').textContent = answer?.error ?? 'Keyplace did not answer.';
      go.disabled = false;
      return;
    }
    dialog.close();
    done();
    await reload();
    byId('search').focus();
  };
  dialog.showModal();
  keep.focus();
}

/** rules:get answers {ok, value: SiteRule}; anything else (no rules, an error) shows no rule line. */
function asRule(answer: unknown): SiteRule | null {
  const value = answer && typeof answer === 'object' && 'ok' in answer ? (answer as { ok: boolean; value?: unknown }).value : answer;
  return value && typeof value === 'object' && typeof (value as SiteRule).choice === 'string' ? (value as SiteRule) : null;
}

async function main(): Promise<void> {
  byId('search').addEventListener('input', applySearch);
  current = await whereAmI();
  const ruleAnswer: Promise<SiteRule | null> = current.site
    ? send<RulesAnswer<SiteRule> | SiteRule | undefined>({ type: 'rules:get', site: current.site }).then(asRule, () => null)
    : Promise.resolve(null);
  list = await send<PopupList>({ type: 'popup:list', tabId: current.tabId, site: current.site ?? undefined });
  render();
  // The rule comes from the core (Public Suffix List); the list does not wait for it.
  rule = await ruleAnswer;
  if (rule) {
    const line = ruleLine();
    const section = byId('sites').querySelector('section.current');
    if (line && section) section.querySelector('h2')!.after(line);
  }
}

void main();
