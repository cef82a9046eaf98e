// Page shim: runs in the page's MAIN world at document_start in every frame. It must stay tiny (budget: 4 KB
// minified) and does no protocol work: it forwards the page's options to the bridge and turns the answer
// back into objects that behave like the browser's own. Everything here is visible to the page, so it
// holds no secrets and makes no decisions; the bridge does every conversion it can (base64url, shapes).
import type { PageAnswer, PageCredential, PageFollowUp, PageMessage, PageObject } from '../shared/messages';

(() => {
  const W = window;
  const Container = W.CredentialsContainer;
  if (!Container) return;

  // Captured now: pages may later delete or replace these globals.
  const proto = Container.prototype;
  const originalCreate = proto.create;
  const originalGet = proto.get;
  const PK = W.PublicKeyCredential;
  const protoOf = (c?: { prototype: object }) => c?.prototype ?? Object.prototype;
  const Pkc = protoOf(PK);
  const Att = protoOf(W.AuthenticatorAttestationResponse);
  const Asr = protoOf(W.AuthenticatorAssertionResponse);
  const Channel = MessageChannel;
  const clone = structuredClone;
  const apply = Reflect.apply;
  const keys = Object.keys;
  const isView = ArrayBuffer.isView;
  const tag = (v: unknown) => Object.prototype.toString.call(v);

  // Buffers become {$bytes: a copy} so the bridge can tell them from strings. Below depth 8 nothing is kept: every
  // member WebAuthn defines is shallower, and the browser ignores members it does not know (cycles end here too).
  // Not instanceof: a buffer made in another frame (realm) has another ArrayBuffer constructor.
  const encode = (v: unknown, depth: number): unknown => {
    if (depth > 8) return undefined;
    if (isView(v)) return { $bytes: new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice() };
    if (tag(v) === '[object ArrayBuffer]') return { $bytes: new Uint8Array(v as ArrayBuffer) };
    if (Array.isArray(v)) return v.map((x) => encode(x, depth + 1));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of keys(v)) out[k] = encode((v as Record<string, unknown>)[k], depth + 1);
      return out;
    }
    // Functions and symbols cannot be cloned; the browser reads neither where WebAuthn has a member.
    return typeof v === 'function' || typeof v === 'symbol' ? undefined : v;
  };

  // The private channel (ARCHITECTURE.md rule 2): the bridge hands over a MessagePort in a window message it
  // posts at document_start, before any page script runs. This listener was registered first, in the capture
  // phase, so it sees that message before any page listener and stops it there; everything afterwards travels
  // over that port, each message with a reply port of its own, none of which the page ever holds.
  let resolvePort: (port: MessagePort) => void;
  const portReady = new Promise<MessagePort>((resolve) => {
    resolvePort = resolve;
  });
  const onHello = (e: MessageEvent) => {
    if (e.source !== W || (e.data as { kp?: unknown } | null)?.kp !== 'kp-hello' || e.ports.length !== 1) return;
    e.stopImmediatePropagation();
    W.removeEventListener('message', onHello, true);
    resolvePort(e.ports[0]);
  };
  W.addEventListener('message', onHello, true);

  /** Sends `msg` with a fresh reply port; `onAnswer` gets the first answer. Returns the port for follow-ups. */
  const send = (msg: PageMessage, onAnswer: (a: PageAnswer) => void) => {
    const { port1, port2 } = new Channel();
    port1.onmessage = (e: MessageEvent) => onAnswer(e.data as PageAnswer);
    // What cannot be cloned (a BigInt deep in an unknown member) is the browser's to answer, never a hang.
    void (async () => (await portReady).postMessage(msg, [port2]))().catch(() => onAnswer({ outcome: 'browser' }));
    return port1;
  };
  const ask = (msg: PageMessage) => new Promise<PageAnswer>((resolve) => send(msg, resolve));
  const fail = (name: string, message: string) =>
    name === 'TypeError' ? new TypeError(message) : new DOMException(message, name);

  // An object of the interface `prototype` with no own properties, as the browser's: its attributes and what its
  // methods answer live here, and the interface prototypes' own accessors and methods (hooked below) answer
  // from it for Keyplace's objects and run the browser's own for the browser's.
  const state = new WeakMap<object, PageObject>();
  const make = (prototype: object, description: PageObject) => {
    const o = Object.create(prototype);
    state.set(o, description);
    return o;
  };
  const toCredential = (c: PageCredential): PublicKeyCredential => {
    hookInterfaces();
    return make(Pkc, { ...c, fields: { ...c.fields, response: make(c.create ? Att : Asr, c.response) } });
  };

  const run = async <O extends CredentialCreationOptions | CredentialRequestOptions>(
    self: CredentialsContainer,
    kind: 'create' | 'get',
    options: O,
    original: (this: CredentialsContainer, o?: O) => Promise<Credential | null>,
  ) => {
    const signal = options.signal;
    // Every browser Keyplace supports (Chromium 111+, Firefox 128+) gives an aborted signal its reason.
    const aborted = () => signal?.reason;
    if (signal?.aborted) throw aborted();
    // The browser converts the page's options itself (WebIDL: types, enums, required members): a call with an
    // already aborted signal of ours ends right after that, so a bad option gets the browser's own error, exactly.
    const probe = new AbortController();
    probe.abort(probe);
    const converted = await apply(original, self, [{ ...options, signal: probe.signal }]).catch((e: unknown) => e);
    if (converted !== probe) throw converted;
    const mediation = mediationOf(options);
    const msg: PageMessage = { kp: 'req', kind, mediation, publicKey: encode(options.publicKey, 0) };
    // Autofill (conditional get): the browser's own conditional request runs beside Keyplace's, with the page's
    // options and a signal of ours; whichever the person uses answers, and the other is stopped.
    const stop = new AbortController();
    let browserPath: Promise<Credential | null> | undefined;
    if (mediation === 'conditional') {
      signal?.addEventListener('abort', () => stop.abort(signal.reason));
      browserPath = apply(original, self, [{ ...options, signal: stop.signal }]);
    }
    let port: MessagePort | undefined;
    const result = await new Promise<PageAnswer | { outcome: 0; c: Credential | null }>((resolve, reject) => {
      const own = send(msg, resolve);
      const end = () => own.postMessage({ kp: 'abort' } satisfies PageFollowUp);
      port = own;
      signal?.addEventListener('abort', () => {
        end();
        reject(aborted());
      });
      // The browser's failure waits for Keyplace's answer: with an offer the person can still pick a Keyplace
      // passkey; without one ("browser") the page gets that failure below.
      browserPath?.then(
        (c) => {
          end();
          resolve({ outcome: 0, c });
        },
        () => undefined,
      );
    });
    if (result.outcome !== 'browser') stop.abort();
    if (result.outcome === 0) return result.c;
    if (result.outcome === 'credential') return toCredential(result.credential);
    if (result.outcome === 'error') throw fail(result.error.name, result.error.message);
    // The person chose the browser (or Keyplace has nothing for this site): the page's own options, untouched.
    const credential = (await (browserPath ?? apply(original, self, [options]))) as PublicKeyCredential | null;
    // Only public facts, so Keyplace can show where the passkey is (the bridge keeps the few it needs): one report
    // on this request's own port, accepted by the background only for the request it handed to the browser.
    if (credential && !browserPath) port?.postMessage({ kp: 'rec', credential: credential.toJSON?.() } satisfies PageFollowUp);
    return credential;
  };

  // Patched methods look native: method shorthand (no prototype, not a constructor), length 0 as the IDL's
  // optional argument gives, and toString() answering what the original answers; no global marker either.
  // The page's own Function.prototype, reached through a page object. The shim runs in the page's realm in both
  // browsers (so its functions have that prototype too); a WebDriver script in Firefox does not (it has a sandbox's
  // own Function, whose toString shows any script's source): tests read toString through a page script.
  const pageFunctionProto = Object.getPrototypeOf(Container) as typeof Function.prototype;
  const nativeToString = pageFunctionProto.toString;
  // What each patched function's toString() answers: the native it stands for (read only when asked: nothing is
  // paid at page load), or a string.
  const disguised = new WeakMap<object, object | string>();
  const disguise = <F extends object>(fn: F, like: object): F => {
    disguised.set(fn, like);
    return fn;
  };
  // `mediation` as the browser reads it (WebIDL: a string, so ['conditional'] is "conditional").
  const mediationOf = (o: object) => {
    const m = (o as { mediation?: unknown }).mediation;
    return m === undefined ? m : String(m);
  };
  // A conditional create (an automatic upgrade) stays with the browser: never a Keyplace window the person did not
  // ask for. A `this` that is no CredentialsContainer, or a `signal` that is no AbortSignal, gets the browser's own
  // TypeError.
  const ours = <O extends CredentialCreationOptions | CredentialRequestOptions>(self: unknown, o?: O, get?: 1): o is O =>
    tag(self) === '[object CredentialsContainer]' &&
    !!o?.publicKey &&
    (o.signal === undefined || tag(o.signal) === '[object AbortSignal]') &&
    (!!get || mediationOf(o) !== 'conditional');
  const patched = {
    toString(this: unknown): string {
      const like = disguised.get(this as object);
      return typeof like === 'string' ? like : apply(nativeToString, like ?? this, []);
    },
    create(this: CredentialsContainer, ...args: [CredentialCreationOptions?]) {
      const [o] = args;
      return ours(this, o) ? run(this, 'create', o, originalCreate) : apply(originalCreate, this, args);
    },
    get(this: CredentialsContainer, ...args: [CredentialRequestOptions?]) {
      const [o] = args;
      return ours(this, o, 1) ? run(this, 'get', o, originalGet) : apply(originalGet, this, args);
    },
  };

  // Static methods with their names and length 0: the bridge answers from what Keyplace serves and the
  // browser's own answer (ARCHITECTURE.md rule 9). Only where the browser has the method, except the Signal API,
  // which Keyplace serves for its own passkeys where the browser lacks it.
  type Static = (...args: unknown[]) => Promise<unknown>;
  const statics = PK as unknown as Record<string, Static>;
  const wrap = (name: string, body: (original: Static | undefined, args: unknown[]) => Promise<unknown>, add?: 1) => {
    const original = statics?.[name];
    if (!statics || (typeof original !== 'function' && !add)) return;
    // Not an async method: its [[Prototype]] would be AsyncFunction.prototype, where the browser's is Function's.
    const method = {
      [name](...args: unknown[]) {
        return body(original, args);
      },
    }[name];
    disguised.set(method, original ?? nativeToString.call(originalGet).replace('get', name));
    statics[name] = method;
  };
  // true where Keyplace offers a store with a PIN (sites hide their passkey button on false), and its autofill.
  for (const method of ['isUserVerifyingPlatformAuthenticatorAvailable', 'isConditionalMediationAvailable'])
    wrap(
      method,
      async (original, args) =>
        (await ask({ kp: 'uvpaa' })).outcome === 'available' || apply(original as Static, PK, args),
    );
  wrap('getClientCapabilities', async (original, args) => {
    const answer = await ask({ kp: 'caps', browser: await apply(original as Static, PK, args) });
    return answer.outcome === 'caps' ? answer.capabilities : {};
  });
  // The Signal API: Keyplace applies it to its own passkeys, the browser (if it has it) to its own, and the
  // page's promise is the browser's.
  for (const method of ['signalUnknownCredential', 'signalAllAcceptedCredentials', 'signalCurrentUserDetails'])
    wrap(
      method,
      async (original, args) => {
        const answer = ask({ kp: 'signal', method, options: encode(args[0], 0) });
        if (original) return apply(original, PK, args);
        const a = await answer;
        if (a.outcome === 'error') throw fail(a.error.name, a.error.message);
        return undefined;
      },
      1,
    );
  // Every attribute getter and method of the credential interfaces: a Keyplace object's value (a method's a fresh
  // copy each call, as the browser's), else the browser's own. Each keeps its name and length, and looks native.
  // Installed with the first Keyplace credential, not at page load: there it adds about 0.4 ms per frame, twice the
  // shim's whole budget (README, "Conformance"). A getter the page took before then stays the browser's (TypeError).
  let hooked = false;
  const hookInterfaces = () => {
    if (hooked) return;
    hooked = true;
    for (const face of [
      W.Credential,
      PK,
      W.AuthenticatorResponse,
      W.AuthenticatorAttestationResponse,
      W.AuthenticatorAssertionResponse,
    ]) {
      const target = face?.prototype;
      if (!target) continue;
      for (const name of Object.getOwnPropertyNames(target)) {
        const d = Object.getOwnPropertyDescriptor(target, name) as PropertyDescriptor;
        const native = d.get ?? d.value;
        if (name === 'constructor' || typeof native !== 'function') continue;
        const hook = d.get
          ? (Object.getOwnPropertyDescriptor(
              {
                get [name]() {
                  const own = state.get(this);
                  return own ? own.fields[name] : apply(native, this, []);
                },
              },
              name,
            )?.get as () => unknown)
          : {
              [name](...args: unknown[]) {
                const own = state.get(this);
                return own ? clone(own.methods[name]) : apply(native, this, args);
              },
            }[name];
        Object.defineProperty(target, name, { ...d, [d.get ? 'get' : 'value']: disguise(hook, native) });
      }
    }
  };
  pageFunctionProto.toString = disguise(patched.toString, nativeToString);
  proto.create = disguise(patched.create, originalCreate);
  proto.get = disguise(patched.get, originalGet);
})();
