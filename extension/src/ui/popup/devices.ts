// The popup's "Your devices" section and its two dialogs (ARCHITECTURE.md rule 10): "Copy to another device…" on a
// vault passkey makes a copy request to carry, and "Approve or import a copy…" takes one made elsewhere. The host
// decides who may approve and import; these words only say plainly what happens. Device and account names come
// from other devices and web pages, so they only ever go in as text.
import type {
  CopyAnswer,
  CopyApproveView,
  CopyImportView,
  CopyInspectView,
  CopyReleaseView,
  CopyRequestView,
  DevicesView,
  DeviceView,
  PasskeyRow,
  RecoveryView,
  UiMessage,
} from '../../shared/messages';
import { type MessageKey, t } from '../../shared/i18n';
import { byId, element, refuse, refuseEmpty } from '../common/dom';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const send = <T>(message: UiMessage): Promise<T> => chrome.runtime.sendMessage(message) as Promise<T>;
const INSPECT_DELAY_MS = 200;

let view: DevicesView = { thisDevice: null, devices: [], copies: {}, problem: null };

/** Where a vault passkey's copies are, in words, when it has any. */
export const copyPlace = (credentialId: string): string | undefined => view.copies[credentialId];

/** "a", "a and b", "a, b and c". */
const listOf = (names: string[]) =>
  names.length <= 1 ? names.join('') : t('listAnd', names.slice(0, -1).join(', '), names.at(-1) ?? '');
/** "alice on example.com, bob on shop.example and carol on bank.example". */
const passkeysOf = (passkeys: { userName: string; rpId: string }[]) =>
  listOf(passkeys.map((p) => t('passkeyOnSite', p.userName, p.rpId)));

/** The devices as the host answered them after a change (enrolment), without asking again. */
export function showDevices(answer: DevicesView): void {
  view = answer;
  renderDevices();
}

export async function loadDevices(): Promise<void> {
  const answer = await send<DevicesView | undefined>({ type: 'devices:list' }).catch(() => undefined);
  view =
    answer && Array.isArray(answer.devices)
      ? answer
      : { thisDevice: null, devices: [], copies: {}, problem: t('noAnswer') };
  renderDevices();
}

function deviceItem(device: DeviceView): HTMLElement {
  const who = device.approvedBy ? t('devicesApprovedBy', device.approvedBy) : t('devicesStartedThem');
  const since = t('devicesSince', dateFormat.format(device.addedAt));
  return element(
    'li',
    {},
    element('span', { class: 'account' }, device.name),
    device.thisDevice ? ` ${t('devicesThisComputerNote')}` : '',
    device.recoverySheet ? ` ${t('devicesSheetNote')}` : '',
    element('div', { class: 'why' }, `${device.shortId} · ${who} · ${since}`),
  );
}

function renderDevices(): void {
  byId('device-list').replaceChildren(...view.devices.map(deviceItem));
  const none = byId('devices-none');
  none.hidden = view.devices.length > 0;
  none.textContent = view.problem
    ? t('popupHostProblem', view.problem)
    : view.thisDevice
      ? t('devicesWaiting', view.thisDevice.name)
      : t('devicesNotYet');
  // Enrolment (popup/enrol.ts): what this computer can do next.
  const enrolled = view.devices.length > 0;
  const waiting = !enrolled && view.thisDevice !== null;
  byId('enrol-start').hidden = enrolled || waiting || view.problem !== null;
  byId('enrol-join').hidden = enrolled || view.problem !== null;
  byId('enrol-accept').hidden = !waiting;
  byId('enrol-approve').hidden = !enrolled;
  // A recovery sheet (popup/recovery.ts): made on an enrolled computer, restored from on one in no ring yet.
  byId('recovery-make-open').hidden = !enrolled;
  byId('recovery-restore-open').hidden = enrolled || view.problem !== null;
  byId('devices').setAttribute('aria-busy', 'false');
}

/** A text as a file the person saves and carries. */
export function saveAs(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = element('a', { href: url, download: name });
  link.click();
  // The download has its own copy by the time a person could look; the URL only has to outlive the click.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Copies a text field's value to the clipboard, or selects it for the person to copy. */
export async function toClipboard(field: HTMLTextAreaElement, status: HTMLElement, done: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(field.value);
    status.textContent = done;
  } catch {
    field.focus();
    field.select();
    status.textContent = t('clipboardSelected');
  }
}

/** "Copy to another device…" of one vault passkey; `changed` runs once its copy request is made. */
export function openCopyDialog(row: PasskeyRow, changed: () => void, closed: () => void): void {
  const dialog = byId('copy') as HTMLDialogElement;
  const form = byId('copy-form') as HTMLFormElement;
  const done = byId('copy-done');
  const select = byId('copy-target') as HTMLSelectElement;
  const pin = byId('copy-pin') as HTMLInputElement;
  const go = byId('copy-go') as HTMLButtonElement;
  const error = byId('copy-error');
  const account = row.userName || t('popupUnknownAccount');
  const targets = view.devices.filter((d) => d.enrolled && !d.thisDevice);

  form.hidden = false;
  done.hidden = true;
  error.textContent = '';
  pin.value = '';
  select.replaceChildren(...targets.map((d) => element('option', { value: d.name }, `${d.name} (${d.shortId})`)));
  select.disabled = pin.disabled = go.disabled = targets.length === 0;
  byId('copy-what').textContent = targets.length
    ? t('copyWhat', account, row.rpId)
    : view.thisDevice?.enrolled
      ? t('copyNoOtherDevice')
      : t('copyNotEnrolled');

  form.onsubmit = async (e) => {
    e.preventDefault();
    if (!pin.value && refuse(error, pin, t('pinTypeVault'))) return;
    go.disabled = true;
    error.textContent = '';
    const answer = await send<CopyAnswer<CopyRequestView>>({
      type: 'devices:copy-request',
      credentialIds: [row.credentialId],
      to: select.value,
      pin: pin.value,
    });
    pin.value = '';
    go.disabled = false;
    if (!answer?.ok) {
      error.textContent = answer?.error ?? t('noAnswer');
      pin.focus();
      return;
    }
    byId('copy-next').textContent = t('copyRequestMade', answer.target);
    byId('copy-code').textContent = answer.shortCode;
    (byId('copy-request') as HTMLTextAreaElement).value = answer.request;
    form.hidden = true;
    done.hidden = false;
    byId('copy-clip').focus();
    await loadDevices();
    changed();
  };
  const request = byId('copy-request') as HTMLTextAreaElement;
  byId('copy-clip').onclick = () =>
    void toClipboard(request, byId('copy-next'), t('copyRequestOnClipboard'));
  byId('copy-save').onclick = () => saveAs('keyplace-copy-request.json', request.value);
  byId('copy-cancel').onclick = byId('copy-close').onclick = () => dialog.close();
  dialog.onclose = () => {
    pin.value = '';
    closed();
  };
  dialog.showModal();
  (targets.length ? select : (byId('copy-cancel') as HTMLButtonElement)).focus();
}

/** What a pasted file of a copy asks of this computer, in words. */
function describe(copy: CopyInspectView): string {
  const what = passkeysOf(copy.passkeys);
  switch (copy.kind) {
    case 'approval':
      return t('carryDescribeApproval', String(copy.approver), what, copy.source, copy.target);
    case 'package':
      return t('carryDescribePackage', what, copy.source, copy.target, String(copy.approver));
    default: {
      const asks = t('carryDescribeRequest', copy.source, what, copy.target, copy.shortCode);
      return copy.chipHeld ? `${asks} ${t('carryDescribeChipHeld', copy.source)}` : asks;
    }
  }
}

/** "Approve or import a copy…": a file of a copy from another device, approved, released or imported here. */
export function openCarryDialog(imported: () => void): void {
  const dialog = byId('carry') as HTMLDialogElement;
  const form = byId('carry-form') as HTMLFormElement;
  const done = byId('carry-done');
  const request = byId('carry-request') as HTMLTextAreaElement;
  const approval = byId('carry-approval') as HTMLTextAreaElement;
  const pin = byId('carry-pin') as HTMLInputElement;
  const useSheet = byId('carry-use-sheet') as HTMLInputElement;
  const sheetCode = byId('carry-sheet-code') as HTMLInputElement;
  const summary = byId('carry-summary');
  const error = byId('carry-error');
  const release = byId('carry-release') as HTMLButtonElement;
  const buttons = [byId('carry-approve'), release, byId('carry-import')] as HTMLButtonElement[];
  for (const field of [request, approval, pin, sheetCode]) field.value = '';
  useSheet.checked = false;
  byId('carry-sheet-box').hidden = true;
  // Approving with a recovery sheet: its code instead of this computer's PIN (the sheet is the other device).
  useSheet.onchange = () => {
    byId('carry-sheet-box').hidden = !useSheet.checked;
    if (useSheet.checked) sheetCode.focus();
  };
  summary.textContent = error.textContent = '';
  release.hidden = true;
  // What the pasted text is, as the host last read it: a package needs no separate approval to import.
  let kind: CopyInspectView['kind'] | null = null;
  form.hidden = false;
  done.hidden = true;

  let timer: ReturnType<typeof setTimeout> | undefined;
  let asked = 0;
  request.oninput = () => {
    clearTimeout(timer);
    const mine = ++asked;
    timer = setTimeout(async () => {
      const text = request.value.trim();
      kind = null;
      release.hidden = true;
      if (!text) {
        summary.textContent = '';
        return;
      }
      const answer = await send<CopyAnswer<CopyInspectView>>({ type: 'devices:copy-inspect', request: text });
      if (mine !== asked) return;
      if (answer?.ok) {
        kind = answer.kind;
        release.hidden = answer.kind !== 'approval';
      }
      summary.textContent = answer?.ok ? describe(answer) : (answer?.error ?? t('noAnswer'));
    }, INSPECT_DELAY_MS);
  };

  const needs = (field: HTMLInputElement | HTMLTextAreaElement, words: string) => !refuseEmpty(error, field, words);
  const busy = (on: boolean) => {
    for (const b of buttons) b.disabled = on;
  };
  // What the done step offers to carry: its label, the clipboard button's words, what it says once copied, the file.
  interface Carried {
    label: MessageKey;
    clip: MessageKey;
    copied: MessageKey;
    file: string;
  }
  const APPROVAL: Carried = {
    label: 'carryOut',
    clip: 'carryClip',
    copied: 'carryApprovalOnClipboard',
    file: 'keyplace-copy-approval.json',
  };
  const PACKAGE: Carried = {
    label: 'carryOutPackage',
    clip: 'carryClipPackage',
    copied: 'carryPackageOnClipboard',
    file: 'keyplace-copy-package.json',
  };
  let carried = APPROVAL;
  const finish = (words: string, out: string | null, what = carried) => {
    carried = what;
    byId('carry-result').textContent = words;
    byId('carry-out-box').hidden = byId('carry-clip').hidden = byId('carry-save').hidden = out === null;
    byId('carry-out-label').textContent = t(what.label);
    byId('carry-clip').textContent = t(what.clip);
    (byId('carry-out') as HTMLTextAreaElement).value = out ?? '';
    form.hidden = true;
    done.hidden = false;
    (out === null ? byId('carry-close') : byId('carry-clip')).focus();
  };

  /** The approval by this computer's PIN, or by the recovery sheet whose code was typed. */
  const approve = async (): Promise<CopyAnswer<CopyApproveView> | undefined> => {
    if (!useSheet.checked)
      return send<CopyAnswer<CopyApproveView>>({ type: 'devices:copy-approve', request: request.value, pin: pin.value });
    const answer = await send<CopyAnswer<RecoveryView>>({
      type: 'devices:recovery',
      params: { action: 'approve_copy', request: request.value, code: sheetCode.value },
    });
    if (!answer?.ok || !answer.approval) return answer?.ok ? undefined : answer;
    return { ok: true, ...answer.approval };
  };
  byId('carry-approve').onclick = async () => {
    error.textContent = '';
    if (
      !needs(request, t('carryPasteRequest')) ||
      !(useSheet.checked ? needs(sheetCode, t('sheetCodeMissing')) : needs(pin, t('pinTypeVault')))
    )
      return;
    busy(true);
    const answer = await approve();
    busy(false);
    pin.value = '';
    if (!answer?.ok) {
      // A mistyped code approves nothing: it stays, to be corrected where it was typed.
      error.textContent = answer?.error ?? t('noAnswer');
      (useSheet.checked ? sheetCode : pin).focus();
      return;
    }
    sheetCode.value = '';
    finish(
      answer.chipHeld
        ? t('carryApprovedChipHeld', answer.source, answer.target)
        : t('carryApproved', answer.target),
      answer.approval,
      APPROVAL,
    );
  };
  release.onclick = async () => {
    error.textContent = '';
    if (!needs(request, t('carryPasteApprovalFirst'))) return;
    busy(true);
    const answer = await send<CopyAnswer<CopyReleaseView>>({ type: 'devices:copy-release', approval: request.value });
    busy(false);
    if (!answer?.ok) {
      error.textContent = answer?.error ?? t('noAnswer');
      return;
    }
    finish(t('carryReleased', passkeysOf(answer.passkeys), answer.target), answer.package, PACKAGE);
  };
  byId('carry-import').onclick = async () => {
    error.textContent = '';
    if (
      !needs(request, t('carryPasteRequest')) ||
      (kind !== 'package' && !needs(approval, t('carryPasteApprovalNeeded'))) ||
      !needs(pin, t('pinTypeVault'))
    )
      return;
    busy(true);
    const answer = await send<CopyAnswer<CopyImportView>>({
      type: 'devices:copy-import',
      request: request.value,
      approval: kind === 'package' ? '' : approval.value,
      pin: pin.value,
    });
    busy(false);
    pin.value = '';
    if (!answer?.ok) {
      error.textContent = answer?.error ?? t('noAnswer');
      pin.focus();
      return;
    }
    finish(t('carryImported', passkeysOf(answer.imported)), null);
    await loadDevices();
    imported();
  };
  const out = byId('carry-out') as HTMLTextAreaElement;
  byId('carry-clip').onclick = () =>
    void toClipboard(out, byId('carry-result'), t(carried.copied));

  byId('carry-save').onclick = () => saveAs(carried.file, out.value);
  byId('carry-cancel').onclick = byId('carry-close').onclick = () => dialog.close();
  dialog.onclose = () => {
    pin.value = sheetCode.value = '';
    clearTimeout(timer);
    byId('carry-open').focus();
  };
  dialog.showModal();
  request.focus();
}
