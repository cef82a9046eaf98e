// Passkey autofill, the page's side (issue 10; ARCHITECTURE.md rules 6 and 8). While the background holds an offer
// for this frame (the page has a conditional get pending and Keyplace has passkeys for its RP ID), focusing a
// field whose `autocomplete` has the token "webauthn" shows Keyplace's suggestion under it. The suggestion is an
// extension-origin frame in a closed shadow root: the page can neither read nor script it, and the account names
// travel from the background to that frame only, never through this world or the page. It approves nothing: a
// pick there opens the consent window.

/** Room per account in the suggestion frame, and around the list (ui/suggest/suggest.html draws to fit). */
const ROW_HEIGHT = 52;
const FRAME_PADDING = 36;
const MIN_WIDTH = 280;

type Offer = { nonce: string; count: number };
type Shown = { host: HTMLElement; frame: HTMLIFrameElement; field: HTMLElement };

let offer: Offer | null = null;
let shown: Shown | null = null;

function isWebauthnField(el: EventTarget | null | undefined): el is HTMLInputElement | HTMLTextAreaElement {
  if (!(el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement)) return false;
  return (el.getAttribute('autocomplete') ?? '').toLowerCase().split(/\s+/).includes('webauthn');
}

/** Under the field, inside the viewport. */
function place({ host, field }: Shown, count: number): void {
  const rect = field.getBoundingClientRect();
  const width = Math.min(Math.max(rect.width, MIN_WIDTH), window.innerWidth);
  const left = Math.max(0, Math.min(rect.left, window.innerWidth - width));
  Object.assign(host.style, {
    top: `${Math.round(rect.bottom + 4)}px`,
    left: `${Math.round(left)}px`,
    width: `${Math.round(width)}px`,
    height: `${count * ROW_HEIGHT + FRAME_PADDING}px`,
  });
}

function show(field: HTMLElement): void {
  if (!offer) return;
  if (shown?.field === field) return;
  hide();
  const host = document.createElement('div');
  // The page's style sheets cannot reach into the shadow root; `all: initial` keeps them off the host too.
  host.style.cssText = 'all:initial;position:fixed;z-index:2147483647;display:block;';
  const root = host.attachShadow({ mode: 'closed' });
  const frame = document.createElement('iframe');
  frame.title = 'Keyplace passkeys';
  frame.src = chrome.runtime.getURL(`suggest.html#${offer.nonce}`);
  frame.style.cssText = 'border:0;width:100%;height:100%;display:block;background:transparent;color-scheme:normal;';
  root.append(frame);
  shown = { host, frame, field };
  place(shown, offer.count);
  document.documentElement.append(host);
}

function hide(): void {
  shown?.host.remove();
  shown = null;
}

/** The first element an event reached (inside open shadow roots too). */
const origin = (event: Event) => event.composedPath()[0];

export function listenForOffers(): void {
  chrome.runtime.onMessage.addListener((note: unknown) => {
    const n = note as { type?: string; nonce?: string | null; count?: number; refocus?: boolean } | null;
    if (n?.type === 'kp-autofill') {
      offer = n.nonce ? { nonce: n.nonce, count: Math.max(1, Number(n.count) || 1) } : null;
      if (!offer) hide();
      else if (isWebauthnField(document.activeElement)) show(document.activeElement as HTMLElement);
    } else if (n?.type === 'kp-autofill-hide') {
      const field = shown?.field;
      hide();
      if (n.refocus) field?.focus();
    }
  });
  // Capture phase on the window: registered at document_start, before any page listener could stop these.
  window.addEventListener(
    'focusin',
    (event) => {
      const target = origin(event);
      if (isWebauthnField(target)) show(target);
      else if (shown && target !== shown.host) hide();
    },
    true,
  );
  window.addEventListener(
    'pointerdown',
    (event) => {
      if (shown && !event.composedPath().includes(shown.host) && origin(event) !== shown.field) hide();
    },
    true,
  );
  // Keyboard: ArrowDown moves into the suggestion, Escape closes it (the field keeps the focus).
  window.addEventListener(
    'keydown',
    (event) => {
      if (!shown || origin(event) !== shown.field) return;
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        shown.frame.focus();
        shown.frame.contentWindow?.postMessage({ kp: 'focus' }, new URL(shown.frame.src).origin);
      } else if (event.key === 'Escape') {
        hide();
      }
    },
    true,
  );
  const follow = () => shown && offer && place(shown, offer.count);
  window.addEventListener('scroll', follow, { capture: true, passive: true });
  window.addEventListener('resize', follow, { passive: true });
}
