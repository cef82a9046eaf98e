// The bridge's conversions between what the shim posts (structured-clone values, buffers as bytes) and what
// the background takes (JSON, buffers as base64url). Done here, not in the shim, which has a 4 KB budget and
// runs where the page can watch it. Pure.
import type {
  BrowserAssertionSummary,
  BrowserCredentialSummary,
  PageCredential,
} from '../shared/messages';

/** Deeper than any WebAuthn dictionary; a structured clone may even carry cycles, which this stops. */
const MAX_DEPTH = 10;

export function toB64u(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromB64u(text: string): ArrayBuffer {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out.buffer;
}

// Not instanceof: in Firefox a message may arrive with another realm's constructors.
const isBytes = (v: unknown): v is Uint8Array => Object.prototype.toString.call(v) === '[object Uint8Array]';

/** A value the background cannot be sent as the page gave it: the browser converts the page's own options. */
export class NotRepresentable extends TypeError {}

/**
 * The page's options for the background: each {$bytes: Uint8Array} becomes {$bytes: base64url}. A member that is
 * `undefined` is left out, as WebIDL treats it as absent (Chromium's JSON messages drop it; Firefox's structured
 * clone would keep it, and the core would see null). A BigInt has no JSON form: NotRepresentable.
 */
export function optionsToWire(v: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new NotRepresentable('Options are nested too deeply.');
  if (typeof v === 'bigint') throw new NotRepresentable('A BigInt in the options.');
  if (Array.isArray(v)) return v.map((x) => optionsToWire(x, depth + 1));
  if (v && typeof v === 'object') {
    const bytes = (v as { $bytes?: unknown }).$bytes;
    if (isBytes(bytes) && Object.keys(v).length === 1) return { $bytes: toB64u(bytes) };
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = optionsToWire(x, depth + 1);
    return out;
  }
  return v;
}

/** The core's credential JSON (RegistrationResponseJSON / AuthenticationResponseJSON), as the background sends it. */
interface CredentialJson {
  id: string;
  rawId: string;
  type: string;
  authenticatorAttachment: string | null;
  response: Record<string, unknown>;
  clientExtensionResults: unknown;
}

const buffer = (v: unknown): ArrayBuffer | null => (typeof v === 'string' ? fromB64u(v) : null);

/**
 * getClientExtensionResults() as the browser gives it: the same as the JSON form, except that buffers are
 * ArrayBuffers (prf's values, getCredBlob), where toJSON() has base64url.
 */
export function extensionResultsForPage(results: unknown): unknown {
  const r = (results ?? {}) as { prf?: { results?: Record<string, unknown> }; getCredBlob?: unknown };
  const out: Record<string, unknown> = { ...r };
  if (r.prf?.results) {
    const values: Record<string, ArrayBuffer | null> = {};
    for (const [name, value] of Object.entries(r.prf.results)) values[name] = buffer(value);
    out.prf = { ...r.prf, results: values };
  }
  if ('getCredBlob' in r) out.getCredBlob = buffer(r.getCredBlob);
  return out;
}

/** What the shim needs to build a PublicKeyCredential that behaves like the browser's own. */
export function toPageCredential(json: CredentialJson): PageCredential {
  const r = json.response;
  const create = 'attestationObject' in r;
  return {
    create,
    // `response` keeps its place in the attribute order; the shim puts the built response object there.
    fields: {
      id: json.id,
      rawId: fromB64u(json.rawId),
      type: json.type,
      authenticatorAttachment: json.authenticatorAttachment,
      response: null,
    },
    methods: { getClientExtensionResults: extensionResultsForPage(json.clientExtensionResults), toJSON: json },
    response: create
      ? {
          fields: { clientDataJSON: buffer(r.clientDataJSON), attestationObject: buffer(r.attestationObject) },
          methods: {
            getTransports: r.transports ?? [],
            getAuthenticatorData: buffer(r.authenticatorData),
            getPublicKey: buffer(r.publicKey),
            getPublicKeyAlgorithm: r.publicKeyAlgorithm,
          },
        }
      : {
          fields: {
            clientDataJSON: buffer(r.clientDataJSON),
            authenticatorData: buffer(r.authenticatorData),
            signature: buffer(r.signature),
            userHandle: buffer(r.userHandle),
          },
          methods: {},
        },
  };
}

/** base64url text, as a browser's toJSON() gives it, or null. */
const b64uText = (v: unknown) => (typeof v === 'string' && /^[A-Za-z0-9_-]*$/.test(v) ? v : null);

/**
 * A Browser-path report for the background from the credential's toJSON() (WebAuthn L3 §5.1 toJSON), or null when
 * it is not that shape. Only public facts are kept; client extension outputs (PRF values among them) never are.
 */
export function browserSummary(
  json: unknown,
  kind: 'create' | 'get',
): BrowserCredentialSummary | BrowserAssertionSummary | null {
  const c = json as { id?: unknown; authenticatorAttachment?: unknown; response?: Record<string, unknown> } | null;
  if (!c || typeof c !== 'object' || typeof c.id !== 'string' || !c.response || typeof c.response !== 'object') {
    return null;
  }
  const authenticatorAttachment = typeof c.authenticatorAttachment === 'string' ? c.authenticatorAttachment : null;
  if (kind === 'create') {
    const attestationObject = b64uText(c.response.attestationObject);
    const transports = Array.isArray(c.response.transports)
      ? c.response.transports.filter((t): t is string => typeof t === 'string')
      : [];
    return attestationObject ? { id: c.id, authenticatorAttachment, attestationObject, transports } : null;
  }
  const authenticatorData = b64uText(c.response.authenticatorData);
  return authenticatorData ? { id: c.id, authenticatorAttachment, authenticatorData } : null;
}
