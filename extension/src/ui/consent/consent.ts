// The consent window: where the person decides where a new passkey lives, or which passkey signs in.
// It only displays what the background says and sends back a decision; it never talks to the host.
import { type AccountChoice, type ConsentDetails, type Decision, type StoreId, type StoreStatus, type UiMessage, wantsUserVerification } from '../../shared/messages';
import { type MessageKey, t } from '../../shared/i18n';
import { byId, element } from '../common/dom';
import { fillMarked, localizePage } from '../common/localize';

localizePage();

const requestId = new URLSearchParams(location.search).get('request') ?? '';

// A key held down when this window opened (Enter held on the site's page, say) reaches it as repeats: those
// must not press a button or submit the form (ARCHITECTURE.md rule 8). Every fresh key press still works.
addEventListener(
  'keydown',
  (event) => {
    if (!event.repeat) return;
    event.preventDefault();
    event.stopImmediatePropagation();
  },
  true,
);

const STORE_TEXT: Record<'hardware' | 'vault' | 'browser', { label: MessageKey; why: MessageKey }> = {
  hardware: { label: 'storeHardwareLabel', why: 'storeHardwareWhy' },
  vault: { label: 'storeVaultLabel', why: 'storeVaultWhy' },
  browser: { label: 'storeBrowserLabel', why: 'storeBrowserWhy' },
};
const storeLabel = (id: keyof typeof STORE_TEXT) => t(STORE_TEXT[id].label);
const storeWhy = (id: keyof typeof STORE_TEXT) => t(STORE_TEXT[id].why);

function send<T>(message: UiMessage): Promise<T> {
  return chrome.runtime.sendMessage(message) as Promise<T>;
}

function showProblem(text: string | null): void {
  const problem = byId('problem');
  problem.textContent = text ?? '';
  problem.hidden = !text;
}

function radio(name: string, value: string, label: string, why: string, disabled: boolean): HTMLElement {
  const input = element('input', { type: 'radio', name, value, id: `${name}-${value}` }) as HTMLInputElement;
  input.disabled = disabled;
  const text = element('span', {}, element('span', {}, label), element('span', { class: 'why' }, why));
  return element('label', { class: 'choice', for: input.id }, input, text);
}

function selected(name: string): string | null {
  return (document.querySelector(`input[name="${name}"]:checked`) as HTMLInputElement | null)?.value ?? null;
}

/** Which PIN fields a choice needs: none, the vault PIN, or a new PIN to choose (twice). */
function pinNeed(details: ConsentDetails): 'none' | 'enter' | 'choose' {
  if (details.kind === 'get') {
    const account = details.accounts.find((a) => a.credentialId === selected('account'));
    return account?.needsPin ? 'enter' : 'none';
  }
  const store = details.stores.find((s) => s.id === selected('store'));
  if (!store?.available) return 'none';
  // A hardware passkey gets its own PIN, which the chip itself checks at every sign-in.
  if (store.id === 'hardware') return 'choose';
  if (!store.initialized) return 'choose';
  return !store.unlocked || wantsUserVerification(details.userVerification) ? 'enter' : 'none';
}

function pinHint(details: ConsentDetails, need: 'enter' | 'choose'): string {
  const hardware = details.kind === 'create'
    ? selected('store') === 'hardware'
    : details.accounts.find((a) => a.credentialId === selected('account'))?.store === 'hardware';
  if (hardware) {
    return need === 'choose' ? t('consentPinHintHardwareChoose', PIN_CHARS.chip) : t('consentPinHintHardwareEnter');
  }
  if (need === 'enter') return t('consentPinHintVaultEnter');
  const min = minPinChars(details);
  switch (vaultProtection(details)) {
    case 'tpm':
      return t('consentPinHintVaultChooseTpm', min);
    case 'os_secret':
      return t('consentPinHintVaultChooseOsSecret', min);
    default:
      return t('consentPinHintVaultChoosePinOnly', min);
  }
}

/** The PIN policy per case (ARCHITECTURE.md rule 5): 4 characters where a chip counts wrong PINs, more elsewhere. */
const PIN_CHARS = { chip: 4, otherwise: 6 } as const;

function vaultProtection(details: ConsentDetails): string | undefined {
  return details.stores.find((s) => s.id === 'vault')?.protection;
}

function minPinChars(details: ConsentDetails): number {
  const chip = selected('store') === 'hardware' || vaultProtection(details) === 'tpm';
  return chip ? PIN_CHARS.chip : PIN_CHARS.otherwise;
}

function updatePinFields(details: ConsentDetails): void {
  const need = pinNeed(details);
  byId('pin-field').hidden = need === 'none';
  byId('confirm-field').hidden = need !== 'choose';
  byId('pin-hint').textContent = need === 'none' ? '' : pinHint(details, need);
}

const STORE_NAME: Record<StoreId, MessageKey> = { hardware: 'storeNameHardware', vault: 'storeNameVault' };

/** The link in "Change it in Keyplace options.": it opens the options page (its words come with the line's). */
function optionsLink(): HTMLElement {
  const link = element('a', { href: chrome.runtime.getURL('options.html'), target: '_blank' });
  link.addEventListener('click', (event) => {
    event.preventDefault();
    void chrome.runtime.openOptionsPage();
  });
  return link;
}

/** Registration under a rule: only the rule's store, preselected; nothing else to choose. */
function renderRule(details: ConsentDetails, rule: NonNullable<ConsentDetails['rule']>): void {
  const name = t(STORE_NAME[rule.store]);
  byId('title').textContent = t('consentCreateTitle', details.rpId);
  byId('subtitle').textContent = t('consentRequestedBy', details.origin);
  const line = byId('rule-line');
  line.hidden = false;
  const words = rule.fromDefault ? t('consentRuleDefault', name) : t('consentRuleSite', rule.site, name);
  fillMarked(line, words, [optionsLink()]);
  const store = details.stores.find((s) => s.id === rule.store);
  const set = element('fieldset', {}, element('legend', {}, t('consentWhereWillLive')));
  set.append(radio('store', rule.store, storeLabel(rule.store), storeWhy(rule.store), !store?.available));
  byId('choices').append(set);
  (byId(`store-${rule.store}`) as HTMLInputElement).checked = true;
  if (!store?.available) {
    // The rule's store cannot be used here. "Hardware only" means no other place for this site; a Vault
    // rule (this device, not synced) may still let the person hand this one to the browser on purpose.
    const unavailable = byId('unavailable');
    unavailable.hidden = false;
    unavailable.setAttribute('role', 'alert');
    const reason = store?.reason ?? t('unknownReason');
    unavailable.textContent =
      rule.store === 'hardware'
        ? t('consentRuleUnavailableHardware', name, reason)
        : t('consentRuleUnavailableOther', name, reason);
    byId('confirm').hidden = true;
    byId('other').hidden = rule.store === 'hardware';
    return;
  }
  byId('account-field').hidden = false;
  (byId('account-name') as HTMLInputElement).value = details.userName;
  byId('confirm').textContent = t('consentCreatePasskey');
}

function renderCreate(details: ConsentDetails): void {
  if (details.rule) {
    renderRule(details, details.rule);
    return;
  }
  byId('title').textContent = t('consentCreateTitle', details.rpId);
  byId('subtitle').textContent = t('consentRequestedByChoose', details.origin);
  if (details.defaultProblem) {
    byId('rule-line').hidden = false;
    byId('rule-line').textContent = details.defaultProblem;
  }
  const set = element('fieldset', {}, element('legend', {}, t('consentWhereShouldLive')));
  const status = (id: 'hardware' | 'vault'): StoreStatus | undefined => details.stores.find((s) => s.id === id);
  const browser = radio('store', 'browser', storeLabel('browser'), storeWhy('browser'), false);
  if (details.browserFirst) set.append(browser);
  for (const id of ['hardware', 'vault'] as const) {
    const store = status(id);
    const why = store?.available ? storeWhy(id) : t('consentWhyUnavailable', storeWhy(id), store?.reason ?? t('unknownReason'));
    set.append(radio('store', id, storeLabel(id), why, !store?.available));
  }
  if (!details.browserFirst) set.append(browser);
  byId('choices').append(set);
  const keyplaceStore = status('hardware')?.available ? 'hardware' : status('vault')?.available ? 'vault' : 'browser';
  const preferred = details.browserFirst ? 'browser' : keyplaceStore;
  (byId(`store-${preferred}`) as HTMLInputElement).checked = true;
  byId('account-field').hidden = false;
  (byId('account-name') as HTMLInputElement).value = details.userName;
  const site = details.site ?? details.rpId;
  byId('remember-label').textContent = t('consentRememberSite', site);
  byId('remember-field').hidden = false;
  byId('confirm').textContent = t('consentCreatePasskey');
}

function accountLabel(account: AccountChoice): string {
  return account.userDisplayName && account.userDisplayName !== account.userName
    ? `${account.userName} (${account.userDisplayName})`
    : account.userName;
}

function renderGet(details: ConsentDetails): void {
  byId('title').textContent = t('consentSignInTitle', details.rpId);
  byId('subtitle').textContent = t('consentRequestedBy', details.origin);
  const set = element('fieldset', {}, element('legend', {}, t('consentWhichPasskey')));
  for (const account of details.accounts) {
    set.append(radio('account', account.credentialId, accountLabel(account), account.location, false));
  }
  byId('choices').append(set);
  (document.querySelector('input[name="account"]') as HTMLInputElement).checked = true;
  byId('other').hidden = false;
  byId('confirm').textContent = t('consentSignIn');
}

function decisionFrom(details: ConsentDetails): Decision | string {
  const need = pinNeed(details);
  const pin = (byId('pin') as HTMLInputElement).value;
  if (need !== 'none' && pin.length === 0) return t('pinEnter');
  if (need === 'choose') {
    const min = minPinChars(details);
    if ([...pin].length < min) return t('consentPinTooShort', min);
    if (pin !== (byId('confirm-pin') as HTMLInputElement).value) return t('consentPinsDiffer');
  }
  const pinOrNull = need === 'none' ? null : pin;
  if (details.kind === 'get') return { action: 'sign', credentialId: selected('account') ?? '', pin: pinOrNull };
  const store = selected('store');
  const remember = !byId('remember-field').hidden && (byId('remember') as HTMLInputElement).checked;
  if (store === 'browser') return { action: 'browser', remember };
  if (store !== 'vault' && store !== 'hardware') return t('consentChooseWhere');
  const accountName = (byId('account-name') as HTMLInputElement).value;
  return { action: 'create', store, accountName, pin: pinOrNull, remember };
}

async function decide(decision: Decision): Promise<void> {
  const answer = await send<{ ok: true } | { error: string }>({ type: 'consent:decide', requestId, decision });
  if ('error' in answer) {
    showProblem(answer.error);
    (byId('pin') as HTMLInputElement).select();
    return;
  }
  window.close();
}

async function main(): Promise<void> {
  const details = await send<ConsentDetails | null>({ type: 'consent:details', requestId });
  if (!details) {
    byId('title').textContent = t('consentRequestEnded');

    byId('form').hidden = true;
    return;
  }
  if (details.hostProblem) {
    byId('host-problem').hidden = false;
    byId('host-problem').textContent = details.hostProblem;
  }
  if (details.kind === 'create') renderCreate(details);
  else renderGet(details);
  updatePinFields(details);
  byId('choices').addEventListener('change', () => {
    showProblem(null);
    updatePinFields(details);
  });

  const form = byId('form') as HTMLFormElement;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const decision = decisionFrom(details);
    if (typeof decision === 'string') return showProblem(decision);
    (byId('confirm') as HTMLButtonElement).disabled = true;
    void decide(decision).finally(() => ((byId('confirm') as HTMLButtonElement).disabled = false));
  });
  byId('cancel').addEventListener('click', () => void decide({ action: 'cancel' }));
  byId('other').addEventListener('click', () => void decide({ action: 'browser' }));
  const first = [...document.querySelectorAll<HTMLInputElement>('input:not([disabled])')].find((i) => i.offsetParent !== null);
  (first ?? byId('cancel')).focus();
}

void main();
