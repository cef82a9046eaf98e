// Bridge: the isolated-world content script. It relays the shim's requests to the background and the
// answers back over a private MessagePort it hands the shim before any page script runs (ARCHITECTURE.md
// rule 2), so the page can neither read the answers nor post requests the bridge accepts. It adds what
// only the isolated world can say truthfully: whether this frame's permissions policy allows
// WebAuthn (the page can tamper with its own MAIN-world globals, not with ours).
import type { BridgeMessage, CeremonyResult, PageRequest, PageResponse } from '../shared/messages';

type FeaturePolicy = { allowsFeature(feature: string): boolean };

/** Whether this frame's permissions policy allows WebAuthn; null when the browser has no API to ask (Firefox). */
function permissionAllowed(kind: 'create' | 'get'): boolean | null {
  const policy = (document as unknown as { featurePolicy?: FeaturePolicy }).featurePolicy;
  return policy ? policy.allowsFeature(`publickey-credentials-${kind}`) : null;
}

const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 64;

const channel = new MessageChannel();
const port = channel.port1;

function answer(id: string, result: CeremonyResult): void {
  const message: PageResponse = { kp: 'kp-res', id, result };
  port.postMessage(message);
}

async function send(message: BridgeMessage): Promise<CeremonyResult | undefined> {
  try {
    return (await chrome.runtime.sendMessage(message)) as CeremonyResult | undefined;
  } catch (err) {
    // The extension was reloaded or its worker failed: let the browser handle the ceremony.
    return { outcome: 'browser', notice: `Keyplace is not available (${String(err)}).` };
  }
}

port.onmessage = (event: MessageEvent) => {
  const data = event.data as {
    kp?: string;
    id?: unknown;
    kind?: PageRequest['kind'];
    publicKey?: unknown;
    credential?: unknown;
  };
  if (!data || typeof data !== 'object' || !isId(data.id)) return;
  const id = data.id;
  if (data.kp === 'kp-req' && (data.kind === 'create' || data.kind === 'get')) {
    const kind = data.kind;
    void send({
      type: 'ceremony',
      id,
      kind,
      publicKey: data.publicKey,
      permissionAllowed: permissionAllowed(kind),
    }).then((result) =>
      answer(id, result ?? { outcome: 'error', error: { name: 'UnknownError', message: 'No answer from Keyplace.' } }),
    );
  } else if (data.kp === 'kp-rec' && data.credential && typeof data.credential === 'object') {
    void send({ type: 'record', id, credential: data.credential as never });
  } else if (data.kp === 'kp-uvpaa') {
    void send({ type: 'uvpaa', id }).then((result) => answer(id, result ?? { outcome: 'browser' }));
  } else if (data.kp === 'kp-abort') {
    void send({ type: 'abort', id });
  }
};
// Document_start: no page script has run yet, and the shim's capture listener takes this message first.
window.postMessage({ kp: 'kp-hello' }, '*', [channel.port2]);
