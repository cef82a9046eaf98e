// The popup's enrolment dialog (ARCHITECTURE.md rule 10): start your devices on this computer, ask to join them from
// a new computer, add a new computer on an enrolled one (after comparing the short code both screens show, with this
// computer's vault PIN), and finish joining with what that device gave back. Nothing travels but the texts the
// person carries; the host checks everything and refuses with its reason.
import type { CopyAnswer, RecoveryView, RingView, UiMessage } from '../../shared/messages';
import type { RingParams } from '../../generated/host-protocol';
import { type MessageKey, t } from '../../shared/i18n';
import { byId, refuseEmpty } from '../common/dom';
import { saveAs, showDevices, toClipboard } from './devices';

type Mode = 'start' | 'join' | 'approve' | 'accept';

const send = (message: UiMessage) => chrome.runtime.sendMessage(message) as Promise<CopyAnswer<RingView> | undefined>;
const INSPECT_DELAY_MS = 200;

/** Each mode's words (catalogue keys); `text` and `paste`: the pasted text's label and the word when it is missing. */
const MODES: Record<
  Mode,
  {
    title: MessageKey;
    what: MessageKey;
    go: MessageKey;
    name: boolean;
    text: MessageKey | null;
    paste: MessageKey | null;
    pin: boolean;
  }
> = {
  start: { title: 'enrolStartTitle', what: 'enrolStartWhat', go: 'enrolStartGo', name: true, text: null, paste: null, pin: true },
  join: { title: 'enrolJoinTitle', what: 'enrolJoinWhat', go: 'enrolJoinGo', name: true, text: null, paste: null, pin: true },
  approve: {
    title: 'enrolApproveTitle',
    what: 'enrolApproveWhat',
    go: 'enrolApproveGo',
    name: false,
    text: 'enrolApproveText',
    paste: 'enrolPasteJoinRequest',
    pin: true,
  },
  accept: {
    title: 'enrolAcceptTitle',
    what: 'enrolAcceptWhat',
    go: 'enrolAcceptTitle',
    name: false,
    text: 'enrolAcceptText',
    paste: 'enrolPasteRing',
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
  const useSheet = byId('enrol-use-sheet') as HTMLInputElement;
  const sheetCode = byId('enrol-sheet-code') as HTMLInputElement;
  const go = byId('enrol-go') as HTMLButtonElement;
  const error = byId('enrol-error');
  const summary = byId('enrol-summary');
  byId('enrol-title').textContent = t(spec.title);
  byId('enrol-what').textContent = t(spec.what);
  byId('enrol-text-label').textContent = spec.text ? t(spec.text) : '';
  go.textContent = t(spec.go);
  byId('enrol-name-box').hidden = !spec.name;
  byId('enrol-text-box').hidden = spec.text === null;
  byId('enrol-pin-box').hidden = !spec.pin;
  // Approving a join: this computer's PIN, or instead the code of a recovery sheet (the sheet approves).
  byId('enrol-sheet-choice').hidden = mode !== 'approve';
  byId('enrol-sheet-box').hidden = true;
  useSheet.checked = false;
  useSheet.onchange = () => {
    byId('enrol-sheet-box').hidden = !useSheet.checked;
    byId('enrol-pin-box').hidden = useSheet.checked;
    (useSheet.checked ? sheetCode : pin).focus();
  };
  for (const field of [name, text, pin, sheetCode]) field.value = '';
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
        ? t('enrolAsksToJoin', String(answer.joining), String(answer.shortCode))
        : (answer?.error ?? t('noAnswer'));
    }, INSPECT_DELAY_MS);
  };

  const withSheet = () => mode === 'approve' && useSheet.checked;
  const missing = (field: HTMLInputElement | HTMLTextAreaElement, shown: boolean, words: string) =>
    shown && refuseEmpty(error, field, words);
  form.onsubmit = async (e) => {
    e.preventDefault();
    error.textContent = '';
    if (
      missing(name, spec.name, t('enrolNameMissing')) ||
      missing(text, spec.paste !== null, spec.paste ? t(spec.paste) : '') ||
      missing(sheetCode, withSheet(), t('sheetCodeMissing')) ||
      missing(pin, spec.pin && !withSheet(), t('pinTypeVault'))
    )
      return;
    if (withSheet()) {
      go.disabled = true;
      const answer = (await chrome.runtime.sendMessage({
        type: 'devices:recovery',
        params: { action: 'approve_join', request: text.value, code: sheetCode.value },
      } satisfies UiMessage)) as CopyAnswer<RecoveryView> | undefined;
      go.disabled = false;
      if (!answer?.ok) {
        // A mistyped code approves nothing: it stays, to be corrected where it was typed.
        error.textContent = answer?.error ?? t('noAnswer');
        sheetCode.focus();
        return;
      }
      sheetCode.value = '';
      showDevices(answer.devices);
      finish(mode, answer);
      return;
    }
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
      error.textContent = answer?.error ?? t('noAnswer');
      (spec.pin ? pin : text).focus();
      return;
    }
    showDevices(answer.devices);
    finish(mode, answer);
  };

  const out = byId('enrol-out') as HTMLTextAreaElement;
  byId('enrol-clip').onclick = () => void toClipboard(out, byId('enrol-result'), t('enrolOnClipboard'));
  byId('enrol-save').onclick = () =>
    saveAs(mode === 'join' ? 'keyplace-join-request.txt' : 'keyplace-ring.json', out.value);
  byId('enrol-cancel').onclick = byId('enrol-close').onclick = () => dialog.close();
  dialog.onclose = () => {
    pin.value = sheetCode.value = '';
    clearTimeout(timer);
    opener.focus();
  };
  dialog.showModal();
  (spec.name ? name : spec.text ? text : pin).focus();
}

/** What happened, in words, and what to carry where. */
function finish(mode: Mode, answer: RingView): void {
  const carry = mode === 'join' ? (answer.request ?? null) : mode === 'approve' ? (answer.ring ?? null) : null;
  const RESULT: Record<Mode, MessageKey> = {
    start: 'enrolStarted',
    join: 'enrolJoinRequested',
    approve: 'enrolApproved',
    accept: 'enrolAccepted',
  };
  byId('enrol-result').textContent = t(RESULT[mode]);
  byId('enrol-code-line').hidden = !answer.shortCode;
  byId('enrol-code').textContent = answer.shortCode ?? '';
  byId('enrol-out-label').textContent = mode === 'join' ? t('enrolOutJoin') : t('enrolOutRing');
  // Approved here or accepted here: the ring code both computers show, to compare.
  byId('enrol-ring-box').hidden = !answer.ringCode;
  byId('enrol-ring-code').textContent = answer.ringCode ?? '';
  byId('enrol-ring-compare').textContent =
    mode === 'approve' ? t('ringCodeCompareApproved') : mode === 'accept' ? t('ringCodeCompareAccepted') : '';

  byId('enrol-out-box').hidden = byId('enrol-clip').hidden = byId('enrol-save').hidden = carry === null;
  (byId('enrol-out') as HTMLTextAreaElement).value = carry ?? '';
  byId('enrol-form').hidden = true;
  byId('enrol-done').hidden = false;
  (carry === null ? byId('enrol-close') : byId('enrol-clip')).focus();
}
