// Options page: site rules, the default choice and the vault lock time. Every change is saved at once
// (by the background, which checks it) and confirmed in the status line.
import type { Choice, RulesAnswer, Settings, UiMessage } from '../../shared/messages';
import { type MessageKey, t } from '../../shared/i18n';
import { byId, element } from '../common/dom';
import { localizePage } from '../common/localize';

localizePage();

const CHOICE_KEYS: Record<Choice, MessageKey> = {
  ask: 'optionsChoiceAsk',
  hardware: 'optionsChoiceHardware',
  vault: 'optionsChoiceVault',
  browser: 'optionsChoiceBrowser',
};
const choiceText = (choice: Choice) => t(CHOICE_KEYS[choice]);
const RULE_CHOICES: Choice[] = ['hardware', 'vault', 'browser', 'ask'];
const DEFAULT_CHOICES: Choice[] = ['ask', 'hardware', 'vault', 'browser'];
const LOCK_TIMES: [number, string][] = [
  [0, t('optionsLockEveryUse')],
  [60, t('optionsLockOneMinute')],
  [300, t('optionsLockMinutes', 5)],
  [900, t('optionsLockMinutes', 15)],
  [3600, t('optionsLockOneHour')],
  [14_400, t('optionsLockHours', 4)],
  [86_400, t('optionsLockOneDay')],
];

function send<T>(message: UiMessage): Promise<T> {
  return chrome.runtime.sendMessage(message) as Promise<T>;
}

function say(text: string): void {
  byId('problem').hidden = true;
  byId('status').textContent = text;
}

function problem(text: string): void {
  byId('status').textContent = '';
  const p = byId('problem');
  p.textContent = text;
  p.hidden = false;
}

function choiceSelect(choices: Choice[], value: Choice, attributes: Record<string, string> = {}): HTMLSelectElement {
  const select = element('select', attributes) as HTMLSelectElement;
  for (const c of choices) select.append(element('option', { value: c }, choiceText(c)));
  select.value = value;
  return select;
}

function fillSelect(select: HTMLSelectElement, choices: Choice[]): void {
  for (const c of choices) select.append(element('option', { value: c }, choiceText(c)));
}

function lockText(seconds: number): string {
  return LOCK_TIMES.find(([s]) => s === seconds)?.[1] ?? t('optionsLockSeconds', seconds);
}

async function saveRule(site: string, choice: Choice): Promise<boolean> {
  const answer = await send<RulesAnswer<{ site: string; choice: Choice }>>({ type: 'rules:set', site, choice });
  if (!answer.ok) {
    problem(answer.error);
    return false;
  }
  say(t('optionsSavedRule', answer.value.site, choiceText(answer.value.choice)));
  return true;
}

async function renderRules(): Promise<void> {
  const rules = await send<{ site: string; choice: Choice }[]>({ type: 'rules:list' });
  const body = byId('rules');
  const rows = rules.map(({ site, choice }, i) => {
    const headerId = `rule-site-${i}`;
    const select = choiceSelect(RULE_CHOICES, choice, { 'aria-labelledby': headerId });
    select.addEventListener('change', () => void saveRule(site, select.value as Choice));
    const remove = element('button', { type: 'button', 'aria-label': t('optionsRemoveLabel', site) }, t('optionsRemove'));
    remove.addEventListener('click', async () => {
      const answer = await send<RulesAnswer<{ site: string }>>({ type: 'rules:remove', site });
      if (!answer.ok) return problem(answer.error);
      say(t('optionsRemoved', answer.value.site));
      await renderRules();
      (document.querySelector('#rules select') as HTMLElement | null ?? byId('add-site')).focus();
    });
    return element('tr', {}, element('th', { scope: 'row', id: headerId }, site), element('td', {}, select), element('td', {}, remove));
  });
  body.replaceChildren(...rows);
  byId('empty').hidden = rules.length > 0;
  byId('rules-table').hidden = rules.length === 0;
}

async function renderSettings(): Promise<void> {
  const settings = await send<Settings & { hostProblem: string | null }>({ type: 'settings:get' });
  (byId('default-choice') as HTMLSelectElement).value = settings.defaultChoice;
  const lock = byId('lock-after') as HTMLSelectElement;
  if (![...lock.options].some((o) => Number(o.value) === settings.vaultLockSeconds)) {
    lock.append(element('option', { value: String(settings.vaultLockSeconds) }, lockText(settings.vaultLockSeconds)));
  }
  lock.value = String(settings.vaultLockSeconds);
  if (settings.hostProblem) problem(t('optionsHostProblem', settings.hostProblem));
}

async function saveSettings(change: Partial<Settings>, done: string): Promise<void> {
  const answer = await send<RulesAnswer<Settings>>({ type: 'settings:set', settings: change });
  if (!answer.ok) {
    problem(answer.error);
    await renderSettings();
    return;
  }
  say(done);
}

async function main(): Promise<void> {
  fillSelect(byId('add-choice') as HTMLSelectElement, RULE_CHOICES);
  fillSelect(byId('default-choice') as HTMLSelectElement, DEFAULT_CHOICES);
  const lock = byId('lock-after') as HTMLSelectElement;
  for (const [seconds, text] of LOCK_TIMES) lock.append(element('option', { value: String(seconds) }, text));

  byId('add-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const siteInput = byId('add-site') as HTMLInputElement;
    const choice = (byId('add-choice') as HTMLSelectElement).value as Choice;
    if (await saveRule(siteInput.value, choice)) {
      siteInput.value = '';
      await renderRules();
    }
    siteInput.focus();
  });
  const defaultChoice = byId('default-choice') as HTMLSelectElement;
  defaultChoice.addEventListener('change', () =>
    void saveSettings({ defaultChoice: defaultChoice.value as Choice }, t('optionsSavedDefault', choiceText(defaultChoice.value as Choice))),
  );
  lock.addEventListener('change', () =>
    void saveSettings(
      { vaultLockSeconds: Number(lock.value) },
      Number(lock.value) === 0 ? t('optionsSavedLockEveryUse') : t('optionsSavedLock', lockText(Number(lock.value))),

    ),
  );

  // A rule saved from the Keyplace window (or the popup) shows up here at once.
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area !== 'local') return;
    if ('siteRules' in changes) void renderRules();
    if ('settings' in changes) void renderSettings();
  });

  await Promise.all([renderRules(), renderSettings()]);
  document.body.dataset.ready = 'true';
}

void main();
