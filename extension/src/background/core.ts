// The WebAssembly protocol core (wasm-core/API.md), loaded once per worker start. It throws plain
// {name, message} objects (ceremony/errors.ts maps them). Handlers await `ready`
// because a service worker may not use top-level await.
import init, * as wasm from '../../build/wasm/keyplace_core.js';
import type {
  AssertionCredential,
  AssertionFlags,
  AuthenticatorDataInfo,
  Client,
  CoreApi,
  CreatedKey,
  PreparedCreate,
  PreparedGet,
  RegistrationCredential,
  RegistrationInfo,
  Signal,
  SignalRequest,
  SignedAssertion,
} from '../generated/core-api';
import { markCold } from './ceremony/timing';

const instantiateStart = performance.now();
markCold('scriptStart', instantiateStart);
/** How long fetching and instantiating the module took, for the benchmark. */
export let wasmInstantiateMs: number | null = null;
// The response is handed to init() as a promise (it compiles while the bytes stream in, as with a URL); the
// benchmark's mark when its headers arrive splits fetching from compiling.
const wasmResponse = fetch(chrome.runtime.getURL('core.wasm')).then((response) => {
  markCold('wasmFetched');
  return response;
});
export const ready: Promise<unknown> = init({ module_or_path: wasmResponse }).then((exports) => {
  const readyAt = performance.now();
  wasmInstantiateMs = readyAt - instantiateStart;
  markCold('wasmReady', readyAt);
  // The core expands its Public Suffix List on first use (ms in WASM); done now, while the browser is still
  // delivering the request that woke the worker, a cold ceremony does not wait for it. The answer is not used.
  setTimeout(() => {
    try {
      api.registrableDomain('example.com');
    } catch {
      // A core that cannot answer will say so to the ceremony that asks.
    }
    markCold('coreWarm');
  }, 0);
  return exports;
});

export interface CallerContext {
  origin: string;
  topOrigin: string;
  sameOriginWithAncestors: boolean;
}

// The API's types are generated from the core's Rust types; these are the names the background uses.
export type { PreparedCreate, PreparedGet, Signal };
/** The key the host created, as the core wants it. */
export type NewKey = CreatedKey;
/** What the host signed, as the core wants it. */
export type Assertion = SignedAssertion;

/** The module's exports (typed `any` by wasm-bindgen) seen through the generated API. */
const api: CoreApi = wasm;

/** The browser this runs in: where browsers answer odd options differently, the core answers as this one. */
export const CLIENT: Client = chrome.runtime.getURL('').startsWith('moz-extension:') ? 'firefox' : 'chromium';

/** Only what the core needs to know about the caller, as plain data. */
const callerFields = ({ origin, topOrigin, sameOriginWithAncestors }: CallerContext): CallerContext => ({
  origin,
  topOrigin,
  sameOriginWithAncestors,
});

export const core = {
  /** `relatedOrigins`: the RP ID's `/.well-known/webauthn` origins, once a SecurityError asked for them. */
  prepareCreate: (
    caller: CallerContext,
    crossOriginAllowed: boolean,
    options: unknown,
    relatedOrigins?: string[],
  ): PreparedCreate =>
    api.prepareCreate({
      ...callerFields(caller),
      crossOriginCreateAllowed: crossOriginAllowed,
      client: CLIENT,
      relatedOrigins,
      options,
    }),
  registrationAuthenticatorData: (prepared: PreparedCreate, key: NewKey): string =>
    api.registrationAuthenticatorData(prepared, key),
  finishCreate: (prepared: PreparedCreate, key: NewKey): RegistrationCredential => api.finishCreate(prepared, key),
  prepareGet: (
    caller: CallerContext,
    crossOriginAllowed: boolean,
    options: unknown,
    relatedOrigins?: string[],
  ): PreparedGet =>
    api.prepareGet({
      ...callerFields(caller),
      crossOriginGetAllowed: crossOriginAllowed,
      client: CLIENT,
      relatedOrigins,
      options,
    }),
  assertionAuthenticatorData: (rpId: string, flags: AssertionFlags): string =>
    api.assertionAuthenticatorData(rpId, flags),
  finishGet: (prepared: PreparedGet, assertion: Assertion): AssertionCredential => api.finishGet(prepared, assertion),
  inspectRegistration: (attestationObject: string): RegistrationInfo => api.inspectRegistration(attestationObject),
  /** An assertion's authenticator data (Browser path): rpIdHash (b64u), flags, counter. */
  inspectAuthenticatorData: (authenticatorData: string): AuthenticatorDataInfo =>
    api.inspectAuthenticatorData(authenticatorData),
  /** The site a person means for an RP ID (for rules and display, never for security); TypeError if not a domain. */
  registrableDomain: (rpId: string): string => api.registrableDomain(rpId),
  /** A Signal API call checked as the spec says (TypeError, then SecurityError for another site's RP ID). */
  checkSignal: (request: SignalRequest): Signal => api.checkSignal(request),
};
