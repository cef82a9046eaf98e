// Passkey autofill (conditional get, WebAuthn L3 `mediation: "conditional"`): the background's part. When Keyplace
// holds passkeys for the request's RP ID it keeps an offer for the calling frame; the bridge shows the "Sign in
// with Keyplace" suggestion (an extension-origin frame) when the person focuses a `webauthn` field, and that frame
// asks here for the account names and says which one the person picked. A pick only opens the consent window,
// which approves (ARCHITECTURE.md rule 6). Meanwhile the browser's own conditional request runs in the page beside
// ours (page/shim.ts): whichever the person uses answers the page, and the other is stopped.
import type { CeremonyResult, SuggestionAccounts } from '../../shared/messages';
import type { Caller, RequestContext } from '../caller';
import { core } from '../core';
import type { Host, HostCredential, HostHello } from '../host/api';
import { loadMarks, withoutDisowned } from '../locations/site-signals';
import { keyplaceLocation } from '../locations/wording';
import { NOT_ALLOWED_RESULT } from './errors';
import { routeSignIn, signInLookup, TO_THE_BROWSER } from './routing';
import { prepareSignIn, signInWindow, type Timer } from './sign-in';
import { CeremonyTimer, metrics } from './timing';

interface Offer {
  key: string;
  tabId: number;
  frameId: number;
  rpId: string;
  candidates: HostCredential[];
  /** The person picked one in the suggestion (its credential id), or null: the offer ended. */
  pick: (credentialId: string | null) => void;
  nextPick: Promise<string | null>;
}

/** Open offers by their nonce: the suggestion frame names its offer with it (from its URL's fragment). */
const offers = new Map<string, Offer>();

/** The bridge of the calling frame shows or hides the suggestion; it never learns account names. */
type BridgeNote =
  | { type: 'kp-autofill'; nonce: string | null; count?: number }
  | { type: 'kp-autofill-hide'; refocus?: boolean };

function tellBridge(offer: Pick<Offer, 'tabId' | 'frameId'>, note: BridgeNote): void {
  chrome.tabs.sendMessage(offer.tabId, note, { frameId: offer.frameId }).catch(() => undefined);
}

function waitForPick(offer: Offer): void {
  offer.nextPick = new Promise((resolve) => {
    offer.pick = resolve;
  });
}

/** A conditional get: offered in the suggestion while Keyplace has passkeys for the site, else the browser's. */
export async function signInConditional(
  host: Host,
  caller: Caller,
  requestId: string,
  publicKey: unknown,
  context: RequestContext,
): Promise<CeremonyResult> {
  const timer: Timer = new CeremonyTimer(host, core);
  const key = caller.key(requestId);
  const prepared = await prepareSignIn(timer, caller, publicKey, context);
  if (!prepared) return browserAlone();
  let candidates: HostCredential[];
  let hello: HostHello;
  try {
    const [found, helloAnswer] = await Promise.all([host.list(signInLookup(prepared)), host.hello()]);
    hello = helloAnswer;
    const marks = await loadMarks().catch(() => ({}));
    const route = routeSignIn(prepared.allowCredentialIds, withoutDisowned(found, marks, prepared.allowCredentialIds));
    if (route.to === 'browser') return browserAlone();
    candidates = route.candidates;
  } catch {
    // Nothing Keyplace can offer (a bad request, the host away): the browser's own autofill answers alone.
    return browserAlone();
  }
  metrics.autofill.offered++;

  const nonce = crypto.randomUUID();
  const offer: Offer = {
    key,
    tabId: caller.tabId,
    frameId: caller.frameId,
    rpId: prepared.rpId,
    candidates,
    pick: () => undefined,
    nextPick: Promise.resolve(null),
  };
  waitForPick(offer);
  // A newer conditional request from the same frame replaces an older one (one ceremony per tab, ARCHITECTURE.md
  // rule 8), so a page calling in a loop cannot pile offers up.
  endOffersOf(offer.tabId, offer.frameId);
  offers.set(nonce, offer);
  tellBridge(offer, { type: 'kp-autofill', nonce, count: candidates.length });
  try {
    for (;;) {
      const credentialId = await offer.nextPick;
      if (credentialId === null) return NOT_ALLOWED_RESULT; // aborted, or the page went: nobody reads this
      waitForPick(offer);
      const chosen = candidates.filter((c) => c.credential_id === credentialId);
      if (chosen.length === 0) continue;
      const outcome = await signInWindow(timer, caller, key, prepared, chosen, hello);
      if (outcome === 'ended') return NOT_ALLOWED_RESULT;
      // Cancelled, closed, "another way" (the browser's autofill is still there) or no window: offered again.
      if (typeof outcome === 'string') continue;
      return outcome;
    }
  } finally {
    offers.delete(nonce);
    tellBridge(offer, { type: 'kp-autofill', nonce: null });
  }
}

function browserAlone(): CeremonyResult {
  metrics.autofill.browserAlone++;
  return TO_THE_BROWSER;
}

/** The page aborted (or its frame or tab went): the offer ends, and the suggestion with it. */
export function endOffer(key: string): void {
  for (const offer of offers.values()) if (offer.key === key) offer.pick(null);
}

function endOffersOf(tabId: number, frameId: number | null): void {
  for (const offer of offers.values())
    if (offer.tabId === tabId && (frameId === null || offer.frameId === frameId)) offer.pick(null);
}
chrome.tabs?.onRemoved?.addListener((tabId) => endOffersOf(tabId, null));
chrome.webNavigation?.onCommitted?.addListener(({ tabId, frameId }) => endOffersOf(tabId, frameId));

/**
 * The offer a suggestion frame names, only for a frame in the offer's tab. The nonce is the proof: only the bridge
 * (isolated world) and the suggestion frame hold it; the page cannot read the closed shadow root the frame sits in.
 * (The browsers' webNavigation does not list extension frames, so their parent cannot be checked there.)
 */
async function offerFor(nonce: unknown, sender: chrome.runtime.MessageSender): Promise<Offer | null> {
  const offer = typeof nonce === 'string' ? offers.get(nonce) : undefined;
  return offer && sender.tab?.id === offer.tabId ? offer : null;
}

/** What the suggestion shows: account names and where each passkey is, nothing else. */
export async function suggestionAccounts(
  nonce: unknown,
  sender: chrome.runtime.MessageSender,
): Promise<SuggestionAccounts | null> {
  metrics.autofill.listAskedAt.push(performance.timeOrigin + performance.now());
  if (metrics.autofill.listAskedAt.length > 200) metrics.autofill.listAskedAt.shift();
  const offer = await offerFor(nonce, sender);
  if (!offer) return null;
  return {
    rpId: offer.rpId,
    accounts: offer.candidates.map((c) => ({
      credentialId: c.credential_id,
      userName: c.user_name,
      location: keyplaceLocation(c.store, c.imported_from, c.held_by_tpm),
    })),
  };
}

/** The person picked a passkey in the suggestion: the consent window opens for it (and the suggestion goes). */
export async function suggestionPicked(
  nonce: unknown,
  credentialId: unknown,
  sender: chrome.runtime.MessageSender,
): Promise<boolean> {
  const offer = await offerFor(nonce, sender);
  if (!offer || typeof credentialId !== 'string') return false;
  tellBridge(offer, { type: 'kp-autofill-hide' });
  offer.pick(credentialId);
  return true;
}

/** Escape in the suggestion: it goes, and the field gets the focus back. */
export async function suggestionDismissed(nonce: unknown, sender: chrome.runtime.MessageSender): Promise<boolean> {
  const offer = await offerFor(nonce, sender);
  if (offer) tellBridge(offer, { type: 'kp-autofill-hide', refocus: true });
  return offer !== null;
}

/** The suggestion painted (epoch ms, its own clock): for the benchmark only, never for a decision. */
export async function suggestionShown(
  nonce: unknown,
  at: unknown,
  sender: chrome.runtime.MessageSender,
): Promise<void> {
  if (typeof at !== 'number' || !(await offerFor(nonce, sender))) return;
  metrics.autofill.shownAt.push(at);
  if (metrics.autofill.shownAt.length > 200) metrics.autofill.shownAt.shift();
}
