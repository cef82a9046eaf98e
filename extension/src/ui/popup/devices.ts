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
  UiMessage,
} from '../../shared/messages';
import { byId, element } from '../common/dom';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const send = <T>(message: UiMessage): Promise<T> => chrome.runtime.sendMessage(message) as Promise<T>;
const INSPECT_DELAY_MS = 200;

let view: DevicesView = { thisDevice: null, devices: [], copies: {}, problem: null };

/** Where a vault passkey's copies are, in words, when it has any. */
export const copyPlace = (credentialId: string): string | undefined => view.copies[credentialId];

/** "a", "a and b", "a, b and c". */
const listOf = (names: string[]) =>
  names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

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
      : { thisDevice: null, devices: [], copies: {}, problem: 'Keyplace did not answer.' };
  renderDevices();
}

function deviceItem(device: DeviceView): HTMLElement {
  const who = device.approvedBy ? `approved by ${device.approvedBy}` : 'started your devices';
  return element(
    'li',
    {},
    element('span', { class: 'account' }, device.name),
    device.thisDevice ? ' (this computer)' : '',
    element('div', { class: 'why' }, `${device.shortId} · ${who} · since ${dateFormat.format(device.addedAt)}`),
  );
}

function renderDevices(): void {
  byId('device-list').replaceChildren(...view.devices.map(deviceItem));
  const none = byId('devices-none');
  none.hidden = view.devices.length > 0;
  none.textContent = view.problem
    ? `Keyplace host: ${view.problem}`
    : view.thisDevice
      ? `This computer ("${view.thisDevice.name}") waits for one of your devices to approve it: carry its join ` +
        'request there ("Add a device…"), then bring back what that device gives you ("Finish joining…").'
      : 'This computer is not one of your devices yet. Start your devices here, or join the ones you have: ' +
        "copies of vault passkeys go only to your devices, and only with another one's approval.";
  // Enrolment (popup/enrol.ts): what this computer can do next.
  const enrolled = view.devices.length > 0;
  const waiting = !enrolled && view.thisDevice !== null;
  byId('enrol-start').hidden = enrolled || waiting || view.problem !== null;
  byId('enrol-join').hidden = enrolled || view.problem !== null;
  byId('enrol-accept').hidden = !waiting;
  byId('enrol-approve').hidden = !enrolled;
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
    status.textContent = 'Selected: press Ctrl+C to copy it.';
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
  const account = row.userName || 'Unknown account';
  const targets = view.devices.filter((d) => d.enrolled && !d.thisDevice);

  form.hidden = false;
  done.hidden = true;
  error.textContent = '';
  pin.value = '';
  select.replaceChildren(...targets.map((d) => element('option', { value: d.name }, `${d.name} (${d.shortId})`)));
  select.disabled = pin.disabled = go.disabled = targets.length === 0;
  byId('copy-what').textContent = targets.length
    ? `The passkey for ${account} on ${row.rpId} is copied, encrypted, to the device you choose.`
    : view.thisDevice?.enrolled
      ? 'None of your other devices is enrolled yet: add one with "keyplace-host devices join-request" on it (README).'
      : 'This computer is not one of your devices yet: start them with "keyplace-host devices init" (README).';

  form.onsubmit = async (e) => {
    e.preventDefault();
    if (!pin.value) {
      error.textContent = 'Type the vault PIN of this computer.';
      pin.focus();
      return;
    }
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
      error.textContent = answer?.error ?? 'Keyplace did not answer.';
      pin.focus();
      return;
    }
    byId('copy-next').textContent =
      `Copy request made for ${answer.target}. Carry it to another of your devices (not this computer) and approve ` +
      `it there; then bring the request and the approval to ${answer.target} and import them. Until then the copy ` +
      'cannot be used anywhere.';
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
    void toClipboard(request, byId('copy-next'), 'The copy request is on the clipboard.');
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
  const what = listOf(copy.passkeys.map((p) => `${p.userName} on ${p.rpId}`));
  switch (copy.kind) {
    case 'approval':
      return (
        `${copy.approver} approved copying ${what} from ${copy.source} to ${copy.target}. If this is ${copy.source}, ` +
        `Release copy: its TPM checks the approval and makes the copy that only ${copy.target}'s TPM can open.`
      );
    case 'package':
      return (
        `A copy of ${what} from ${copy.source} for ${copy.target}, approved by ${copy.approver} and made by ` +
        `${copy.source}'s TPM. Import it on ${copy.target} with its vault PIN.`
      );
    default:
      return (
        `${copy.source} asks to copy ${what} to ${copy.target}. Short code ${copy.shortCode}: approve only if ` +
        `${copy.source} shows the same.` +
        (copy.chipHeld
          ? ` ${copy.source}'s TPM holds these passkeys: after approval, ${copy.source} releases the copy.`
          : '')
      );
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
  const summary = byId('carry-summary');
  const error = byId('carry-error');
  const release = byId('carry-release') as HTMLButtonElement;
  const buttons = [byId('carry-approve'), release, byId('carry-import')] as HTMLButtonElement[];
  for (const field of [request, approval, pin]) field.value = '';
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
      summary.textContent = answer?.ok ? describe(answer) : (answer?.error ?? 'Keyplace did not answer.');
    }, INSPECT_DELAY_MS);
  };

  const needs = (field: HTMLInputElement | HTMLTextAreaElement, words: string): boolean => {
    if (field.value.trim()) return true;
    error.textContent = words;
    field.focus();
    return false;
  };
  const busy = (on: boolean) => {
    for (const b of buttons) b.disabled = on;
  };
  // What the done step offers to carry: its label, the clipboard button's words and the file name.
  let carried = { what: 'approval', label: 'Approval to carry', file: 'keyplace-copy-approval.json' };
  const finish = (words: string, out: string | null, what = carried) => {
    carried = what;
    byId('carry-result').textContent = words;
    byId('carry-out-box').hidden = byId('carry-clip').hidden = byId('carry-save').hidden = out === null;
    byId('carry-out-label').textContent = what.label;
    byId('carry-clip').textContent = `Copy the ${what.what}`;
    (byId('carry-out') as HTMLTextAreaElement).value = out ?? '';
    form.hidden = true;
    done.hidden = false;
    (out === null ? byId('carry-close') : byId('carry-clip')).focus();
  };

  byId('carry-approve').onclick = async () => {
    error.textContent = '';
    if (!needs(request, 'Paste the copy request first.') || !needs(pin, 'Type the vault PIN of this computer.')) return;
    busy(true);
    const answer = await send<CopyAnswer<CopyApproveView>>({
      type: 'devices:copy-approve',
      request: request.value,
      pin: pin.value,
    });
    busy(false);
    pin.value = '';
    if (!answer?.ok) {
      error.textContent = answer?.error ?? 'Keyplace did not answer.';
      pin.focus();
      return;
    }
    finish(
      answer.chipHeld
        ? `Approved. ${answer.source}'s TPM holds these passkeys: carry this approval back to ${answer.source} and ` +
            `release it there (Approve or import a copy…, then Release copy); its TPM then makes the copy for ${answer.target}.`
        : `Approved. Carry the copy request and this approval to ${answer.target} and import them there.`,
      answer.approval,
      { what: 'approval', label: 'Approval to carry', file: 'keyplace-copy-approval.json' },
    );
  };
  release.onclick = async () => {
    error.textContent = '';
    if (!needs(request, 'Paste the approval first.')) return;
    busy(true);
    const answer = await send<CopyAnswer<CopyReleaseView>>({ type: 'devices:copy-release', approval: request.value });
    busy(false);
    if (!answer?.ok) {
      error.textContent = answer?.error ?? 'Keyplace did not answer.';
      return;
    }
    finish(
      `Released: this computer's TPM copied ${listOf(answer.passkeys.map((p) => `${p.userName} on ${p.rpId}`))} ` +
        `for ${answer.target}, and only ${answer.target}'s TPM can open it. Carry this copy package to ${answer.target} ` +
        'and import it there.',
      answer.package,
      { what: 'copy package', label: 'Copy package to carry', file: 'keyplace-copy-package.json' },
    );
  };
  byId('carry-import').onclick = async () => {
    error.textContent = '';
    if (
      !needs(request, 'Paste the copy request first.') ||
      (kind !== 'package' &&
        !needs(approval, 'Paste the approval another of your devices made: a copy is imported only with it.')) ||
      !needs(pin, 'Type the vault PIN of this computer.')
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
      error.textContent = answer?.error ?? 'Keyplace did not answer.';
      pin.focus();
      return;
    }
    finish(
      `Imported into this computer's vault: ${listOf(answer.imported.map((p) => `${p.userName} on ${p.rpId}`))}.`,
      null,
    );
    await loadDevices();
    imported();
  };
  const out = byId('carry-out') as HTMLTextAreaElement;
  byId('carry-clip').onclick = () =>
    void toClipboard(out, byId('carry-result'), `The ${carried.what} is on the clipboard.`);
  byId('carry-save').onclick = () => saveAs(carried.file, out.value);
  byId('carry-cancel').onclick = byId('carry-close').onclick = () => dialog.close();
  dialog.onclose = () => {
    pin.value = '';
    clearTimeout(timer);
    byId('carry-open').focus();
  };
  dialog.showModal();
  request.focus();
}
