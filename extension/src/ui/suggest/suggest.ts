// The autofill suggestion (issue 10): an extension page the bridge frames under the page's sign-in field. It asks
// the background for the account names of its offer (named by the nonce in its URL's fragment, and only answered
// when the browser says this frame sits in the requesting frame), and says which one the person picked. It
// approves nothing: the background then opens the consent window (ARCHITECTURE.md rule 6).
import type { SuggestionAccounts, UiMessage } from '../../shared/messages';
import { t } from '../../shared/i18n';
import { byId, element } from '../common/dom';
import { fillMarked, localizePage } from '../common/localize';

localizePage();

const nonce = location.hash.slice(1);
const send = (message: UiMessage) => chrome.runtime.sendMessage(message);
const buttons = () => [...document.querySelectorAll<HTMLButtonElement>('#accounts button')];

function moveFocus(step: 1 | -1): void {
  const all = buttons();
  const at = all.indexOf(document.activeElement as HTMLButtonElement);
  all[(at + step + all.length) % all.length]?.focus();
}

async function render(): Promise<void> {
  const answer = (await send({ type: 'suggest:list', nonce })) as SuggestionAccounts | null;
  if (!answer) return; // the offer ended or is not this frame's: nothing to show
  const list = byId('accounts');
  for (const account of answer.accounts) {
    // Named "Sign in with Keyplace as NAME, WHERE" (README, "Passkey autofill"), its visible text part of that name.
    const button = element('button', { type: 'button' });
    const parts = [element('span', { class: 'account' }, account.userName), element('span', { class: 'where' }, account.location)];
    fillMarked(button, t('suggestSignInAs'), parts, (words) => element('span', { class: 'visually-hidden' }, words));

    button.addEventListener('click', () => void send({ type: 'suggest:pick', nonce, credentialId: account.credentialId }));
    list.append(element('li', {}, button));
  }
  document.documentElement.dataset.ready = 'true';
  // For the benchmark's "visible after focus" (background/ceremony/timing.ts): when this frame first painted.
  requestAnimationFrame(() => void send({ type: 'suggest:shown', nonce, at: performance.timeOrigin + performance.now() }));
}

document.addEventListener('keydown', (event) => {
  if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    event.preventDefault();
    moveFocus(event.key === 'ArrowDown' ? 1 : -1);
  } else if (event.key === 'Escape') {
    void send({ type: 'suggest:dismiss', nonce });
  }
});
// The bridge moves the focus here on ArrowDown in the field: the first account takes it.
const focusFirst = () => {
  if (!buttons().includes(document.activeElement as HTMLButtonElement)) buttons()[0]?.focus();
};
window.addEventListener('message', (event) => {
  if ((event.data as { kp?: string } | null)?.kp === 'focus') focusFirst();
});
window.addEventListener('focus', focusFirst);

void render();
