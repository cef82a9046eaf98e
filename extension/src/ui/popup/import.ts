// The popup's "Import passkeys…" dialog: the person picks the Credential Exchange Format (CXF) export another
// passkey manager wrote, sees every passkey in it (those that cannot come, with the reason), ticks the ones to bring,
// types the vault PIN and imports. The host reads the file and decides (native-host/src/import/); names in the file
// come from elsewhere, so they only ever go in as text. A toolbar popup closes when a file picker opens (Firefox), so
// there the button opens the popup as a tab, with this dialog open.
import type { ImportAnswerView, ImportPasskeyView, UiMessage } from '../../shared/messages';
import { t } from '../../shared/i18n';
import { element } from '../common/dom';

/** Every word of the dialog, in one place (from the catalogue, extension/_locales). */
const WORDS = {
  title: t('importTitle'),
  what: t('importWhat'),
  file: t('importFile'),
  reading: t('importReading'),
  tooBig: (mib: number) => t('importTooBig', mib),
  unreadable: t('importUnreadable'),
  found: (n: number, exporter: string) => t(n === 1 ? 'importFoundOne' : 'importFoundOther', n, exporter),
  none: t('importNone'),
  choose: t('importChoose'),
  passkey: (p: ImportPasskeyView) =>
    `${p.rpId} — ${p.userName || t('importUnknownAccount')}${p.account ? ` (${p.account})` : ''}`,
  alreadyHere: t('importAlreadyHere'),
  cannotImport: (reason: string | null) => t('importCannot', reason ?? t('unknownReason')),
  pin: t('importPin'),
  newPin: t('importNewPin'),
  confirmPin: t('consentConfirmPin'),
  pinsDiffer: t('importPinsDiffer'),
  pinTooShort: (n: number) => t('importPinTooShort', n),
  noPin: t('pinTypeVault'),
  noFile: t('importNoFile'),
  nothingTicked: t('importNothingTicked'),
  cancel: t('commonCancel'),
  go: t('importGo'),
  importing: t('importImporting'),
  done: (n: number, exporter: string) => t(n === 1 ? 'importDoneOne' : 'importDoneOther', n, exporter),
  close: t('commonDone'),
  noAnswer: t('noAnswer'),
};


/** What the host takes in one message (4 MiB, JSON-escaped): larger files go through the CLI. */
const MAX_FILE_MIB = 3;

const send = (message: UiMessage) => chrome.runtime.sendMessage(message) as Promise<ImportAnswerView | undefined>;

/** Wires the popup's "Import passkeys…" button; `changed` reloads the list after an import. */
export function setUpImport(button: HTMLElement, changed: () => void): void {
  button.addEventListener('click', () => void openFromButton(button, changed));
  if (new URLSearchParams(location.search).has('import')) openImportDialog(button, changed);
}

async function openFromButton(button: HTMLElement, changed: () => void): Promise<void> {
  const tab = await chrome.tabs?.getCurrent?.().catch(() => undefined);
  if (!tab) {
    // A toolbar popup: the file picker would close it before the file is read.
    await chrome.tabs.create({ url: chrome.runtime.getURL('popup.html?import') });
    window.close();
    return;
  }
  openImportDialog(button, changed);
}

interface Parts {
  dialog: HTMLDialogElement;
  file: HTMLInputElement;
  status: HTMLElement;
  list: HTMLElement;
  pinLabel: HTMLElement;
  pin: HTMLInputElement;
  confirmBox: HTMLElement;
  confirm: HTMLInputElement;
  error: HTMLElement;
  form: HTMLFormElement;
  go: HTMLButtonElement;
  cancel: HTMLButtonElement;
  done: HTMLElement;
  result: HTMLElement;
  close: HTMLButtonElement;
}

let parts: Parts | null = null;

function build(): Parts {
  const file = element('input', {
    type: 'file',
    id: 'import-file',
    accept: '.json,application/json',
  }) as HTMLInputElement;
  const status = element('p', { role: 'status', id: 'import-status' });
  const list = element('fieldset', { class: 'import-list', hidden: '' }, element('legend', {}, WORDS.choose));
  const pinLabel = element('label', { class: 'field', for: 'import-pin' }, WORDS.pin);
  const pin = element('input', { type: 'password', id: 'import-pin', autocomplete: 'off' }) as HTMLInputElement;
  const confirm = element('input', { type: 'password', id: 'import-confirm', autocomplete: 'off' }) as HTMLInputElement;
  const confirmBox = element(
    'div',
    { hidden: '' },
    element('label', { class: 'field', for: 'import-confirm' }, WORDS.confirmPin),
    confirm,
  );
  const error = element('p', { role: 'alert', id: 'import-error' });
  const cancel = element('button', { type: 'button' }, WORDS.cancel) as HTMLButtonElement;
  const go = element('button', { type: 'submit', class: 'primary' }, WORDS.go) as HTMLButtonElement;
  const form = element(
    'form',
    {},
    element('label', { class: 'field', for: 'import-file' }, WORDS.file),
    file,
    status,
    list,
    pinLabel,
    pin,
    confirmBox,
    error,
    element('div', { class: 'actions' }, cancel, go),
  ) as HTMLFormElement;
  const result = element('p', { role: 'status', id: 'import-result' });
  const close = element('button', { type: 'button', class: 'primary' }, WORDS.close) as HTMLButtonElement;
  const done = element('div', { hidden: '' }, result, element('div', { class: 'actions' }, close));
  const dialog = element(
    'dialog',
    { id: 'import', 'aria-labelledby': 'import-title', 'aria-describedby': 'import-what' },
    element('h2', { id: 'import-title' }, WORDS.title),
    element('p', { id: 'import-what', class: 'why' }, WORDS.what),
    form,
    done,
  ) as HTMLDialogElement;
  document.querySelector('main')?.append(dialog);
  return {
    dialog,
    file,
    status,
    list,
    pinLabel,
    pin,
    confirmBox,
    confirm,
    error,
    form,
    go,
    cancel,
    done,
    result,
    close,
  };
}

/** One checkbox per passkey; those that cannot come are shown, unticked and disabled, with the reason. */
function showPasskeys(p: Parts, passkeys: ImportPasskeyView[]): void {
  const legend = p.list.firstElementChild as HTMLElement;
  const rows = passkeys.map((passkey, i) => {
    const ready = passkey.status === 'ready';
    const box = element('input', { type: 'checkbox', id: `import-${i}` }) as HTMLInputElement;
    box.checked = ready;
    box.disabled = !ready;
    box.dataset.id = passkey.credentialId;
    const why =
      passkey.status === 'already_here'
        ? `: ${WORDS.alreadyHere}`
        : passkey.status === 'cannot_import'
          ? `: ${WORDS.cannotImport(passkey.reason)}`
          : '';
    return element(
      'div',
      { class: 'check' },
      box,
      element('label', { for: `import-${i}` }, `${WORDS.passkey(passkey)}${why}`),
    );
  });
  p.list.replaceChildren(legend, ...rows);
  p.list.hidden = passkeys.length === 0;
}

export function openImportDialog(opener: HTMLElement, changed: () => void): void {
  parts ??= build();
  const p = parts;
  let text: string | null = null;
  let vaultHasPin = true;
  let newPinChars = 6;
  p.file.value = p.pin.value = p.confirm.value = '';
  p.status.textContent = p.error.textContent = '';
  p.list.hidden = true;
  p.confirmBox.hidden = true;
  p.pinLabel.textContent = WORDS.pin;
  p.form.hidden = false;
  p.done.hidden = true;
  p.go.disabled = false;

  p.file.onchange = async () => {
    text = null;
    p.error.textContent = '';
    p.list.hidden = true;
    const chosen = p.file.files?.[0];
    if (!chosen) return;
    if (chosen.size > MAX_FILE_MIB * 1024 * 1024) {
      p.error.textContent = WORDS.tooBig(MAX_FILE_MIB);
      return;
    }
    p.status.textContent = WORDS.reading;
    const read = await chosen.text().catch(() => null);
    const answer = read === null ? null : await send({ type: 'import:inspect', file: read });
    if (!answer?.ok) {
      p.status.textContent = '';
      p.error.textContent = read === null ? WORDS.unreadable : (answer?.error ?? WORDS.noAnswer);
      return;
    }
    text = read;
    vaultHasPin = answer.vaultHasPin;
    newPinChars = answer.newPinChars;
    p.pinLabel.textContent = vaultHasPin ? WORDS.pin : WORDS.newPin;
    p.confirmBox.hidden = vaultHasPin;
    p.status.textContent = answer.passkeys.length ? WORDS.found(answer.passkeys.length, answer.exporter) : WORDS.none;
    showPasskeys(p, answer.passkeys);
  };

  p.form.onsubmit = async (e) => {
    e.preventDefault();
    p.error.textContent = '';
    const ticked = [...p.list.querySelectorAll<HTMLInputElement>('input[type="checkbox"]')]
      .filter((box) => box.checked && !box.disabled)
      .map((box) => box.dataset.id ?? '');
    const problem = !text
      ? [WORDS.noFile, p.file]
      : !ticked.length
        ? [WORDS.nothingTicked, p.list.querySelector('input') ?? p.file]
        : !p.pin.value
          ? [WORDS.noPin, p.pin]
          : !vaultHasPin && [...p.pin.value].length < newPinChars
            ? [WORDS.pinTooShort(newPinChars), p.pin]
            : !vaultHasPin && p.pin.value !== p.confirm.value
              ? [WORDS.pinsDiffer, p.confirm]
              : null;
    if (problem) {
      p.error.textContent = problem[0] as string;
      (problem[1] as HTMLElement).focus();
      return;
    }
    p.go.disabled = true;
    p.status.textContent = WORDS.importing;
    const answer = await send({ type: 'import:run', file: text ?? '', credentialIds: ticked, pin: p.pin.value });
    p.go.disabled = false;
    p.pin.value = p.confirm.value = '';
    if (!answer?.ok) {
      p.status.textContent = '';
      p.error.textContent = answer?.error ?? WORDS.noAnswer;
      p.pin.focus();
      return;
    }
    text = null;
    p.file.value = '';
    p.result.textContent = WORDS.done(answer.imported, answer.exporter);
    p.form.hidden = true;
    p.done.hidden = false;
    p.close.focus();
    changed();
  };

  p.cancel.onclick = p.close.onclick = () => p.dialog.close();
  p.dialog.onclose = () => {
    // The file's text (private keys) and the PIN go with the dialog.
    text = null;
    p.file.value = p.pin.value = p.confirm.value = '';
    opener.focus();
  };
  p.dialog.showModal();
  p.file.focus();
}
