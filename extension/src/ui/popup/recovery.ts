// The popup's recovery sheet dialog (ARCHITECTURE.md rule 10), as `keyplace-host recovery …` does it: "Make a recovery
// sheet…" on an enrolled computer enrolls a printed code as one of your devices and shows that code once, to print or
// write down; "Restore from a recovery sheet…" on a computer in no ring yet joins your devices by the sheet's approval
// and brings the backup made for the sheet into this vault. Approving a copy or a join with the sheet's code is in the
// carry and enrolment dialogs (devices.ts, enrol.ts). The host checks everything; the code is never kept here.
import type { CopyAnswer, RecoveryView, UiMessage } from '../../shared/messages';
import type { RecoveryParams } from '../../generated/host-protocol';
import { type MessageKey, t } from '../../shared/i18n';
import { byId, refuse, refuseEmpty } from '../common/dom';
import { localizePage } from '../common/localize';
import { saveAs, showDevices, toClipboard } from './devices';

type Mode = 'make' | 'restore';

/** What a vault PIN set here needs at least (the host checks it too). */
const NEW_PIN_CHARS = 6;
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' });
const send = (message: UiMessage) =>
  chrome.runtime.sendMessage(message) as Promise<CopyAnswer<RecoveryView> | undefined>;

/** The dialog, from its template on first use (in its words). */
function build(): void {
  if (document.getElementById('recovery')) return;
  const template = byId('recovery-template') as HTMLTemplateElement;
  const dialog = template.content.cloneNode(true) as DocumentFragment;
  localizePage(dialog);
  template.replaceWith(dialog);
}

/** "Make a recovery sheet…" and "Restore from a recovery sheet…". */
export function openRecoveryDialog(mode: Mode, opener: HTMLElement, changed: () => void): void {
  build();
  const dialog = byId('recovery') as HTMLDialogElement;
  const form = byId('recovery-form') as HTMLFormElement;
  const name = byId('recovery-name') as HTMLInputElement;
  const backup = byId('recovery-backup') as HTMLTextAreaElement;
  const approval = byId('recovery-approval') as HTMLTextAreaElement;
  const code = byId('recovery-code-in') as HTMLInputElement;
  const pin = byId('recovery-pin') as HTMLInputElement;
  const confirm = byId('recovery-confirm') as HTMLInputElement;
  const go = byId('recovery-go') as HTMLButtonElement;
  const error = byId('recovery-error');
  const making = mode === 'make';
  byId('recovery-title').textContent = t(making ? 'recoveryMakeTitle' : 'recoveryRestoreTitle');
  byId('recovery-what').textContent = t(making ? 'recoveryMakeWhat' : 'recoveryRestoreWhat');
  byId('recovery-name-label').textContent = t(making ? 'recoverySheetName' : 'recoveryComputerName');
  byId('recovery-pin-label').textContent = t(making ? 'recoveryMakePin' : 'recoveryRestorePin');
  go.textContent = t(making ? 'recoveryMakeGo' : 'recoveryRestoreGo');
  byId('recovery-backup-box').hidden = byId('recovery-confirm-box').hidden = making;
  for (const field of [backup, approval, code, pin, confirm]) field.value = '';
  name.value = making ? t('recoveryDefaultName') : '';
  error.textContent = '';
  form.hidden = false;
  byId('recovery-done').hidden = true;

  const missing = (field: HTMLInputElement | HTMLTextAreaElement, words: MessageKey) =>
    refuseEmpty(error, field, t(words));
  form.onsubmit = async (e) => {
    e.preventDefault();
    error.textContent = '';
    if (
      missing(name, 'enrolNameMissing') ||
      (!making && missing(backup, 'recoveryBackupMissing')) ||
      (!making && missing(code, 'sheetCodeMissing')) ||
      missing(pin, 'pinTypeVault') ||
      (!making && [...pin.value].length < NEW_PIN_CHARS && refuse(error, pin, t('importPinTooShort', NEW_PIN_CHARS))) ||
      (!making && pin.value !== confirm.value && refuse(error, confirm, t('importPinsDiffer')))
    )
      return;
    const params: RecoveryParams = making
      ? { action: 'make', name: name.value, pin: pin.value }
      : {
          action: 'restore',
          name: name.value,
          code: code.value,
          request: backup.value,
          approval: approval.value,
          pin: pin.value,
        };
    go.disabled = true;
    const answer = await send({ type: 'devices:recovery', params });
    go.disabled = false;
    pin.value = confirm.value = '';
    if (!answer?.ok) {
      error.textContent = answer?.error ?? t('noAnswer');
      // A mistyped code is refused before anything changes: the person corrects it where it was typed.
      (making ? pin : code).focus();
      return;
    }
    code.value = '';
    showDevices(answer.devices);
    finish(mode, answer);
    changed();
  };

  const out = byId('recovery-out') as HTMLTextAreaElement;
  byId('recovery-clip').onclick = () => void toClipboard(out, byId('recovery-result'), t('enrolOnClipboard'));
  byId('recovery-save').onclick = () => saveAs('keyplace-ring.json', out.value);
  byId('recovery-print').onclick = () => {
    document.body.classList.add('print-sheet');
    window.print();
    document.body.classList.remove('print-sheet');
  };
  byId('recovery-cancel').onclick = byId('recovery-close').onclick = () => dialog.close();
  dialog.onclose = () => {
    // The code goes with the dialog: it is shown once.
    for (const field of [code, pin, confirm]) field.value = '';
    byId('recovery-code').textContent = '';
    opener.focus();
  };
  dialog.showModal();
  (making ? pin : name).focus();
}

/** The sheet to print (making), or what was restored (restoring). */
function finish(mode: Mode, answer: RecoveryView): void {
  const making = mode === 'make';
  const sheet = answer.sheet ?? t('recoveryDefaultName');
  byId('recovery-result').textContent = making
    ? t('recoveryMade', sheet)
    : t(
        'recoveryRestored',
        (answer.imported ?? []).map((p) => t('passkeyOnSite', p.userName, p.rpId)).join(', '),
      );
  byId('recovery-sheet').hidden = !making;
  byId('recovery-sheet-for').textContent = making ? t('recoverySheetFor', sheet, dateFormat.format(Date.now())) : '';
  byId('recovery-code').textContent = answer.code ?? '';
  byId('recovery-ring-box').hidden = !answer.ringCode;
  byId('recovery-ring-code').textContent = answer.ringCode ?? '';
  const carry = making ? (answer.ring ?? null) : null;
  byId('recovery-out-box').hidden = byId('recovery-clip').hidden = byId('recovery-save').hidden = carry === null;
  byId('recovery-print').hidden = !making;
  (byId('recovery-out') as HTMLTextAreaElement).value = carry ?? '';
  byId('recovery-form').hidden = true;
  byId('recovery-done').hidden = false;
  (making ? byId('recovery-print') : byId('recovery-close')).focus();
}
