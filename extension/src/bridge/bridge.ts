// Bridge: the isolated-world content script. It relays the shim's requests to the background and the
// answers back over a private MessagePort it hands the shim before any page script runs (ARCHITECTURE.md
// rule 2), so the page can neither read the answers nor post requests the bridge accepts; each request
// comes with a reply port of its own. It adds what only the isolated world can say truthfully: whether
// this frame's permissions policy allows WebAuthn and whether the document is visible and focused (the page
// can tamper with its own MAIN-world globals, not with ours).
import type { BridgeMessage, CeremonyResult, PageAnswer, PageFollowUp, PageMessage } from '../shared/messages';
import { browserSummary, NotRepresentable, optionsToWire, toPageCredential } from './convert';
import { listenForOffers } from './suggestion';

type FeaturePolicy = { allowsFeature(feature: string): boolean };

/** Whether this frame's permissions policy allows WebAuthn; null when the browser has no API to ask (Firefox). */
function permissionAllowed(kind: 'create' | 'get'): boolean | null {
  const policy = (document as unknown as { featurePolicy?: FeaturePolicy }).featurePolicy;
  return policy ? policy.allowsFeature(`publickey-credentials-${kind}`) : null;
}

const UNANSWERED: CeremonyResult = {
  outcome: 'error',
  error: { name: 'UnknownError', message: 'No answer from Keyplace.' },
};

async function send(message: BridgeMessage): Promise<CeremonyResult | undefined> {
  try {
    return (await chrome.runtime.sendMessage(message)) as CeremonyResult | undefined;
  } catch (err) {
    // The extension was reloaded or its worker failed: let the browser handle the ceremony.
    return { outcome: 'browser', notice: `Keyplace is not available (${String(err)}).` };
  }
}

/** The background's answer as the shim takes it: a credential's buffers become ArrayBuffers here. */
function forPage(result: CeremonyResult): PageAnswer {
  if (result.outcome === 'credential') {
    return { outcome: 'credential', credential: toPageCredential(result.credential as never) };
  }
  return result.outcome === 'browser' ? { outcome: 'browser' } : result;
}

function typeError(err: unknown): PageAnswer {
  return { outcome: 'error', error: { name: 'TypeError', message: err instanceof Error ? err.message : String(err) } };
}

/**
 * Whether this document has transient user activation, read in the isolated world (the page cannot fake it); null
 * where the browser has no API for it. A cross-origin frame needs it to create a credential (WebAuthn L3 §5.1.3
 * step 2), as Chromium enforces.
 */
function activated(): boolean | null {
  const activation = (navigator as { userActivation?: { isActive: boolean } }).userActivation;
  return activation ? activation.isActive : null;
}

/** CredentialMediationRequirement: a WebIDL enum, so any other value is the browser's TypeError. */
const MEDIATION = ['silent', 'optional', 'conditional', 'required'];

/** A ceremony: its own id, and its reply port also carries the page's abort and the Browser-path report. */
function ceremony(kind: 'create' | 'get', mediation: unknown, publicKey: unknown, reply: MessagePort): void {
  let options: unknown;
  try {
    // An enum converts by ToString (['optional'] is "optional"); what is none of its values, the browser refuses.
    if (mediation !== undefined && !MEDIATION.includes(String(mediation))) throw new NotRepresentable('mediation');
    options = optionsToWire(publicKey);
  } catch {
    // What cannot be carried to the background as the page gave it, the browser converts itself (rule 9).
    reply.postMessage({ outcome: 'browser' } satisfies PageAnswer);
    return;
  }
  const id = crypto.randomUUID();
  let reported = false;
  reply.onmessage = (event: MessageEvent) => {
    const data = event.data as PageFollowUp | null;
    if (data?.kp === 'abort') void send({ type: 'abort', id });
    if (data?.kp === 'rec' && !reported) {
      const credential = browserSummary(data.credential, kind);
      reported = credential !== null;
      if (credential) void send({ type: 'record', id, credential });
    }
  };
  void send({
    type: 'ceremony',
    id,
    kind,
    ...(mediation !== undefined ? { mediation: String(mediation) } : {}),
    publicKey: options,
    permissionAllowed: permissionAllowed(kind),
    visible: document.visibilityState === 'visible',
    focused: window === window.top ? document.hasFocus() : null,
    activated: activated(),
  }).then((result) => reply.postMessage(forPage(result ?? UNANSWERED)));
}

const channel = new MessageChannel();
channel.port1.onmessage = (event: MessageEvent) => {
  const data = event.data as PageMessage | null;
  const reply = event.ports[0];
  if (!reply || !data || typeof data !== 'object') return;
  const answer = (message: BridgeMessage, fallback: CeremonyResult) =>
    void send(message).then((result) => reply.postMessage(forPage(result ?? fallback)));
  switch (data.kp) {
    case 'req':
      if (data.kind === 'create' || data.kind === 'get') ceremony(data.kind, data.mediation, data.publicKey, reply);
      return;
    case 'uvpaa':
      return answer({ type: 'uvpaa' }, { outcome: 'browser' });
    case 'caps':
      return answer({ type: 'caps', browser: data.browser }, { outcome: 'caps', capabilities: {} });
    case 'signal':
      try {
        answer({ type: 'signal', method: String(data.method), options: optionsToWire(data.options) }, UNANSWERED);
      } catch (err) {
        reply.postMessage(typeError(err));
      }
      return;
  }
};
listenForOffers();

// Document_start: no page script has run yet, and the shim's capture listener takes this message first.
window.postMessage({ kp: 'kp-hello' }, '*', [channel.port2]);
