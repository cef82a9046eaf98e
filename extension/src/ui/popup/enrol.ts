// The popup's enrolment dialog (ARCHITECTURE.md rule 10): start your devices on this computer, ask to join them from
// a new computer, add a new computer on an enrolled one (after comparing the short code both screens show, with this
// computer's vault PIN), and finish joining with what that device gave back. Nothing travels but the texts the
// person carries; the host checks everything and refuses with its reason.
import type { CopyAnswer, RingView, UiMessage } from '../../shared/messages';
import type { RingParams } from '../../generated/host-protocol';
import { byId } from '../common/dom';
import { saveAs, showDevices, toClipboard } from './devices';

type Mode = 'start' | 'join' | 'approve' | 'accept';

const send = (message: UiMessage) => chrome.runtime.sendMessage(message) as Promise<CopyAnswer<RingView> | undefined>;
const INSPECT_DELAY_MS = 200;

const MODES: Record<
  Mode,
  { title: string; what: string; go: string; name: boolean; text: string | null; pin: boolean }
> = {
  start: {
    title: 'Start your devices here',
    what: 'This computer becomes the first of your devices. Others join only when one of your devices approves them.',
    go: 'Start',
    name: true,
    text: null,
    pin: true,
  },
  join: {
    title: 'Join your devices',
    what: 'Makes a join request to carry to one of your devices, where you add this computer after comparing the short code.',
    go: 'Make join request',
    name: true,
    text: null,
    pin: true,
  },
  approve: {
    title: 'Add a device',
    what: 'Paste the join request the new computer made. Approve only if both screens show the same short code.',
    go: 'Approve this device',
    name: false,
    text: 'Join request',
    pin: true,
  },
  accept: {
    title: 'Finish joining',
    what: 'Paste what your other device gave you when it approved this computer.',
    go: 'Finish joining',
    name: false,
    text: 'Ring from your other device',
    pin: false,
  },
};

export function openEnrolDialog(mode: Mode, opener: HTMLElement): void {
  const spec = MODES[mode];
  const dialog = byId('enrol') as HTMLDialogElement;
  const form = byId('enrol-form') as HTMLFormElement;
  const name = byId('enrol-name') as HTMLInputElement;
  const text = byId('enrol-text') as HTMLTextAreaElement;
  const pin = byId('enrol-pin') as HTMLInputElement;
  const go = byId('enrol-go') as HTMLButtonElement;
  const error = byId('enrol-error');
  const summary = byId('enrol-summary');
  byId('enrol-title').textContent = spec.title;
  byId('enrol-what').textContent = spec.what;
  byId('enrol-text-label').textContent = spec.text ?? '';
  go.textContent = spec.go;
  byId('enrol-name-box').hidden = !spec.name;
  byId('enrol-text-box').hidden = spec.text === null;
  byId('enrol-pin-box').hidden = !spec.pin;
  for (const field of [name, text, pin]) field.value = '';
  error.textContent = summary.textContent = '';
  form.hidden = false;
  byId('enrol-done').hidden = true;

  // Approving: what the request says, and its short code, before any PIN.
  let timer: ReturnType<typeof setTimeout> | undefined;
  let asked = 0;
  text.oninput = () => {
    if (mode !== 'approve') return;
    clearTimeout(timer);
    const mine = ++asked;
    timer = setTimeout(async () => {
      const request = text.value.trim();
      if (!request) {
        summary.textContent = '';
        return;
      }
      const answer = await send({ type: 'devices:ring', params: { action: 'inspect', request } });
      if (mine !== asked) return;
      summary.textContent = answer?.ok
        ? `"${answer.joining}" asks to join your devices. Short code ${answer.shortCode}: approve only if that ` +
          'computer shows the same.'
        : (answer?.error ?? 'Keyplace did not answer.');
    }, INSPECT_DELAY_MS);
  };

  const missing = (field: HTMLInputElement | HTMLTextAreaElement, shown: boolean, words: string) => {
    if (!shown || field.value.trim()) return false;
    error.textContent = words;
    field.focus();
    return true;
  };
  form.onsubmit = async (e) => {
    e.preventDefault();
    error.textContent = '';
    if (
      missing(name, spec.name, 'Give this computer a name your other devices will show (e.g. "laptop").') ||
      missing(text, spec.text !== null, `Paste the ${spec.text?.toLowerCase()} first.`) ||
      missing(pin, spec.pin, 'Type the vault PIN of this computer.')
    )
      return;
    const params: RingParams =
      mode === 'start' || mode === 'join'
        ? { action: mode, name: name.value, pin: pin.value }
        : mode === 'approve'
          ? { action: 'approve', request: text.value, pin: pin.value }
          : { action: 'accept', ring: text.value };
    go.disabled = true;
    const answer = await send({ type: 'devices:ring', params });
    go.disabled = false;
    pin.value = '';
    if (!answer?.ok) {
      error.textContent = answer?.error ?? 'Keyplace did not answer.';
      (spec.pin ? pin : text).focus();
      return;
    }
    showDevices(answer.devices);
    finish(mode, answer);
  };

  const out = byId('enrol-out') as HTMLTextAreaElement;
  byId('enrol-clip').onclick = () => void toClipboard(out, byId('enrol-result'), 'It is on the clipboard.');
  byId('enrol-save').onclick = () =>
    saveAs(mode === 'join' ? 'keyplace-join-request.txt' : 'keyplace-ring.json', out.value);
  byId('enrol-cancel').onclick = byId('enrol-close').onclick = () => dialog.close();
  dialog.onclose = () => {
    pin.value = '';
    clearTimeout(timer);
    opener.focus();
  };
  dialog.showModal();
  (spec.name ? name : spec.text ? text : pin).focus();
}

/** What happened, in words, and what to carry where. */
function finish(mode: Mode, answer: RingView): void {
  const carry = mode === 'join' ? (answer.request ?? null) : mode === 'approve' ? (answer.ring ?? null) : null;
  byId('enrol-result').textContent =
    mode === 'start'
      ? 'This computer is the first of your devices. Add others with "Add a device…" here.'
      : mode === 'join'
        ? 'Carry this join request to one of your devices and add this computer there ("Add a device…"); compare ' +
          'the short code on both screens. Then bring back what it gives you ("Finish joining…").'
        : mode === 'approve'
          ? 'Added. Carry this back to the new computer and paste it there ("Finish joining…").'
          : 'This computer is one of your devices now.';
  byId('enrol-code-line').hidden = !answer.shortCode;
  byId('enrol-code').textContent = answer.shortCode ?? '';
  byId('enrol-out-label').textContent = mode === 'join' ? 'Join request to carry' : 'Ring to carry back';
  byId('enrol-out-box').hidden = byId('enrol-clip').hidden = byId('enrol-save').hidden = carry === null;
  (byId('enrol-out') as HTMLTextAreaElement).value = carry ?? '';
  byId('enrol-form').hidden = true;
  byId('enrol-done').hidden = false;
  (carry === null ? byId('enrol-close') : byId('enrol-clip')).focus();
}
