// The popup: every passkey Keyplace knows, grouped by site, each with where it is in plain words.
import type { PasskeyRow, PopupList, UiMessage } from '../../shared/messages';
import { byId, element } from '../common/dom';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

function describeUse(row: PasskeyRow): string {
  const created = `Created ${dateFormat.format(row.createdAt)}`;
  if (!row.keyplace) return created;
  const used = row.lastUsedAt ? `last used ${dateFormat.format(row.lastUsedAt)}` : 'never used';
  return `${created} · ${used} · ${row.signCount ?? 0} sign-ins`;
}

function render(list: PopupList): void {
  const problem = byId('host-problem');
  problem.hidden = !list.hostProblem;
  problem.textContent = list.hostProblem ? `Keyplace host: ${list.hostProblem}` : '';
  byId('empty').hidden = list.rows.length > 0;

  const bySite = new Map<string, PasskeyRow[]>();
  for (const row of list.rows) bySite.set(row.rpId, [...(bySite.get(row.rpId) ?? []), row]);
  const sites = byId('sites');
  sites.replaceChildren();
  for (const [site, rows] of bySite) {
    const items = rows.map((row) =>
      element(
        'li',
        {},
        element('div', { class: 'account' }, row.userName),
        element('div', {}, row.location),
        element('div', { class: 'why' }, describeUse(row)),
      ),
    );
    sites.append(element('section', {}, element('h2', {}, site), element('ul', { class: 'passkeys' }, ...items)));
  }
}

async function main(): Promise<void> {
  const message: UiMessage = { type: 'popup:list' };
  render((await chrome.runtime.sendMessage(message)) as PopupList);
}

void main();
