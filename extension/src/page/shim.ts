// Page shim: runs in the page's MAIN world at document_start in every frame. It must stay tiny (budget: 4 KB
// minified) and does no protocol work: it forwards the page's options to the bridge and turns the answer
// back into objects that behave like the browser's own. Everything here is visible to the page, so it
// holds no secrets and makes no decisions.
import type { CeremonyResult, PageMessage, PageRequest, PageResponse } from '../shared/messages';

(() => {
  const W = window;
  const Container = W.CredentialsContainer;
  if (!Container) return;

  // Captured now: pages may later delete or replace these globals.
  const proto = Container.prototype;
  const originalCreate = proto.create;
  const originalGet = proto.get;
  const Pkc = typeof PublicKeyCredential === 'function' ? PublicKeyCredential.prototype : Object.prototype;
  const Att =
    typeof AuthenticatorAttestationResponse === 'function'
      ? AuthenticatorAttestationResponse.prototype
      : Object.prototype;
  const Asr =
    typeof AuthenticatorAssertionResponse === 'function' ? AuthenticatorAssertionResponse.prototype : Object.prototype;
  const pending = new Map<string, (r: CeremonyResult) => void>();

  const toB64u = (bytes: Uint8Array): string => {
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const fromB64u = (text: string): ArrayBuffer => {
    const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out.buffer;
  };
  // Not instanceof: a buffer made in another frame (realm) has another ArrayBuffer constructor.
  const isBuffer = (v: unknown): v is ArrayBuffer | ArrayBufferView =>
    ArrayBuffer.isView(v) || Object.prototype.toString.call(v) === '[object ArrayBuffer]';
  const view = (v: ArrayBuffer | ArrayBufferView) =>
    ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v);

  // Buffers become {$bytes} so the core can tell them from strings; depth-limited against cycles.
  const encode = (v: unknown, depth: number): unknown => {
    if (depth > 8) throw new TypeError('Options are nested too deeply.');
    if (isBuffer(v)) return { $bytes: toB64u(view(v)) };
    if (Array.isArray(v)) return v.map((x) => encode(x, depth + 1));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) out[k] = encode((v as Record<string, unknown>)[k], depth + 1);
      return out;
    }
    return typeof v === 'function' ? undefined : v;
  };

  // The private channel (ARCHITECTURE.md rule 2): the bridge hands over a MessagePort in a window message it
  // posts at document_start, before any page script runs. This listener was registered first, in the capture
  // phase, so it sees that message before any page listener and stops it there; everything afterwards travels
  // over the port, which the page never holds.
  let resolvePort: (port: MessagePort) => void;
  const portReady = new Promise<MessagePort>((resolve) => {
    resolvePort = resolve;
  });
  const onHello = (e: MessageEvent) => {
    if (e.source !== W || (e.data as { kp?: unknown } | null)?.kp !== 'kp-hello' || e.ports.length !== 1) return;
    e.stopImmediatePropagation();
    W.removeEventListener('message', onHello, true);
    const port = e.ports[0];
    port.onmessage = (m: MessageEvent) => {
      const d = m.data as PageResponse;
      const settle = pending.get(d?.id);
      if (settle) {
        pending.delete(d.id);
        settle(d.result);
      }
    };
    resolvePort(port);
  };
  W.addEventListener('message', onHello, true);

  const newId = () => toB64u(crypto.getRandomValues(new Uint8Array(16)));
  const post = (msg: PageMessage) => void portReady.then((port) => port.postMessage(msg));
  const fail = (name: string, message: string) =>
    name === 'TypeError' ? new TypeError(message) : new DOMException(message, name);

  const ask = (id: string, kind: 'create' | 'get', options: CredentialCreationOptions | CredentialRequestOptions) =>
    new Promise<CeremonyResult>((resolve, reject) => {
      const signal = options.signal;
      if (signal?.aborted) return reject(signal.reason ?? fail('AbortError', 'The operation was aborted.'));
      const request: PageRequest = { kp: 'kp-req', id, kind, publicKey: encode(options.publicKey, 0) };
      pending.set(id, resolve);
      signal?.addEventListener('abort', () => {
        if (!pending.delete(id)) return;
        post({ kp: 'kp-abort', id });
        reject(signal.reason ?? fail('AbortError', 'The operation was aborted.'));
      });
      post(request);
    });

  const define = (target: object, props: Record<string, unknown>) => {
    for (const k of Object.keys(props)) Object.defineProperty(target, k, { value: props[k], enumerable: true });
    return target;
  };

  // The core's credential JSON (WebAuthn's RegistrationResponseJSON or AuthenticationResponseJSON).
  interface CredentialJson {
    id: string;
    rawId: string;
    type: string;
    authenticatorAttachment: string | null;
    response: AttestationJson | AssertionJson;
    clientExtensionResults: unknown;
  }
  interface AttestationJson {
    clientDataJSON: string;
    attestationObject: string;
    authenticatorData: string;
    publicKey: string;
    publicKeyAlgorithm: number;
    transports: string[];
  }
  interface AssertionJson {
    clientDataJSON: string;
    authenticatorData: string;
    signature: string;
    userHandle: string | null;
  }

  // Rebuilds a credential from the core's JSON. Own methods rather than the native ones, which throw
  // "Illegal invocation" on objects the browser did not make.
  const toCredential = (json: CredentialJson): PublicKeyCredential => {
    const r = json.response;
    const isCreate = 'attestationObject' in r;
    const response = Object.create(isCreate ? Att : Asr);
    const fields: Record<string, unknown> = {};
    const values = r as unknown as Record<string, unknown>;
    for (const k of Object.keys(values)) {
      const v = values[k];
      if (typeof v === 'string' && k !== 'publicKeyAlgorithm') fields[k] = fromB64u(v);
    }
    if (isCreate) {
      define(response, { clientDataJSON: fields.clientDataJSON, attestationObject: fields.attestationObject });
      define(response, {
        getTransports: () => r.transports.slice(),
        getAuthenticatorData: () => fields.authenticatorData,
        getPublicKey: () => fields.publicKey,
        getPublicKeyAlgorithm: () => r.publicKeyAlgorithm,
      });
    } else {
      define(response, {
        clientDataJSON: fields.clientDataJSON,
        authenticatorData: fields.authenticatorData,
        signature: fields.signature,
        userHandle: r.userHandle ? fields.userHandle : null,
      });
    }
    const credential = Object.create(Pkc);
    return define(credential, {
      id: json.id,
      rawId: fromB64u(json.rawId),
      type: json.type,
      authenticatorAttachment: json.authenticatorAttachment,
      response,
      getClientExtensionResults: () => JSON.parse(JSON.stringify(json.clientExtensionResults)),
      toJSON: () => JSON.parse(JSON.stringify(json)),
    }) as PublicKeyCredential;
  };

  const run = async <O extends CredentialCreationOptions | CredentialRequestOptions>(
    self: CredentialsContainer,
    kind: 'create' | 'get',
    options: O,
    original: (this: CredentialsContainer, o?: O) => Promise<Credential | null>,
  ) => {
    const id = newId();
    const result = await ask(id, kind, options);
    if (result.outcome === 'credential') return toCredential(result.credential as CredentialJson);
    if (result.outcome === 'error') throw fail(result.error.name, result.error.message);
    // The person chose the browser (or Keyplace has nothing for this site): the page's own options, untouched.
    const credential = (await original.call(self, options)) as PublicKeyCredential | null;
    if (credential) {
      // Only public facts, so Keyplace can show where the passkey is; `id` ties the report to the request
      // the background handed to the browser (it accepts one report per request, from this frame only).
      const r = credential.response as AuthenticatorAttestationResponse & AuthenticatorAssertionResponse;
      const b = (v: ArrayBuffer) => toB64u(new Uint8Array(v));
      post({
        kp: 'kp-rec',
        id,
        credential: {
          id: credential.id,
          authenticatorAttachment: credential.authenticatorAttachment ?? null,
          ...(kind === 'create'
            ? { attestationObject: b(r.attestationObject), transports: r.getTransports?.() ?? [] }
            : { authenticatorData: b(r.authenticatorData) }),
        },
      });
    }
    return credential;
  };

  // Patched methods look native: method shorthand (no prototype, not a constructor), length 0 as the IDL's
  // optional argument gives, and toString() answering what the original answers; no global marker either.
  // The page's own Function.prototype, reached through a page object: in Firefox a MAIN-world script runs in a
  // sandbox whose `Function` (even `window.Function`) is its own, not the page's.
  const pageFunctionProto = Object.getPrototypeOf(Container) as typeof Function.prototype;
  const nativeToString = pageFunctionProto.toString;
  const disguised = new WeakMap<object, string>();
  const disguise = <F extends object>(fn: F, like: object): F => {
    disguised.set(fn, nativeToString.call(like));
    return fn;
  };
  const patched = {
    toString(this: unknown): string {
      return disguised.get(this as object) ?? Reflect.apply(nativeToString, this, []);
    },
    create(this: CredentialsContainer, ...args: [CredentialCreationOptions?]) {
      const options = args[0];
      if (!options?.publicKey) return Reflect.apply(originalCreate, this, args);
      return run(this, 'create', options, originalCreate);
    },
    get(this: CredentialsContainer, ...args: [CredentialRequestOptions?]) {
      const options = args[0];
      // Conditional (autofill) requests stay with the browser for now.
      if (!options?.publicKey || options.mediation === 'conditional') return Reflect.apply(originalGet, this, args);
      return run(this, 'get', options, originalGet);
    },
  };
  // isUserVerifyingPlatformAuthenticatorAvailable: true where Keyplace offers a store with a PIN (rule 9: sites
  // hide their passkey button when it says false); otherwise the browser's own answer.
  const PK = W.PublicKeyCredential;
  const UVPAA = 'isUserVerifyingPlatformAuthenticatorAvailable';
  const originalUvpaa = PK?.[UVPAA];
  const statics = {
    [UVPAA](...args: []) {
      const id = newId();
      return new Promise<CeremonyResult>((resolve) => {
        pending.set(id, resolve);
        post({ kp: 'kp-uvpaa', id });
      }).then((r) => r.outcome === 'available' || Reflect.apply(originalUvpaa as () => Promise<boolean>, PK, args));
    },
  };
  if (originalUvpaa) PK[UVPAA] = disguise(statics[UVPAA], originalUvpaa);
  pageFunctionProto.toString = disguise(patched.toString, nativeToString);
  proto.create = disguise(patched.create, originalCreate);
  proto.get = disguise(patched.get, originalGet);
})();
