// The WebAssembly protocol core (wasm-core/API.md), loaded once per worker start. It throws plain
// {name, message} objects (ceremony/errors.ts maps them). Handlers await `ready`
// because a service worker may not use top-level await.
import init, * as wasm from '../../build/wasm/keyplace_core.js';

const instantiateStart = performance.now();
/** How long fetching and instantiating the module took, for the benchmark. */
export let wasmInstantiateMs: number | null = null;
export const ready: Promise<unknown> = init({ module_or_path: chrome.runtime.getURL('core.wasm') }).then((exports) => {
  wasmInstantiateMs = performance.now() - instantiateStart;
  return exports;
});

export interface CallerContext {
  origin: string;
  topOrigin: string;
  sameOriginWithAncestors: boolean;
}

export interface PreparedCreate {
  rpId: string;
  rpName: string;
  user: { id: string; name: string; displayName: string };
  clientDataJSON: string;
  clientDataHash: string;
  excludeCredentialIds: string[];
  alg: number;
  residentKey: 'required' | 'preferred' | 'discouraged';
  userVerification: 'required' | 'preferred' | 'discouraged';
  authenticatorAttachment: 'platform' | 'cross-platform' | null;
  attestation: string;
  credPropsRequested: boolean;
  timeoutMs: number;
}

export interface PreparedGet {
  rpId: string;
  clientDataJSON: string;
  clientDataHash: string;
  allowCredentialIds: string[];
  userVerification: 'required' | 'preferred' | 'discouraged';
  timeoutMs: number;
}

export interface NewKey {
  credentialId: string;
  publicKey: string;
  aaguid: string;
  signCount: number;
  userVerified: boolean;
  backupEligible: boolean;
  backupState: boolean;
  residentKey: boolean;
  /** DER signature by the new key over authenticatorData || clientDataHash: makes the attestation "packed". */
  attestationSignature?: string | null;
}

export interface Assertion {
  credentialId: string;
  authenticatorData: string;
  signature: string;
  userHandle: string | null;
}

export interface AuthenticatorFlags {
  up: boolean;
  uv: boolean;
  be: boolean;
  bs: boolean;
}

export interface AuthenticatorDataFacts {
  rpIdHash: string;
  flags: AuthenticatorFlags;
  signCount: number;
}

export interface RegistrationFacts {
  fmt: string;
  aaguid: string;
  credentialId: string;
  flags: AuthenticatorFlags;
  signCount: number;
}

/** Only what the core needs to know about the caller, as plain data. */
const callerFields = ({ origin, topOrigin, sameOriginWithAncestors }: CallerContext): CallerContext => ({
  origin,
  topOrigin,
  sameOriginWithAncestors,
});

export const core = {
  prepareCreate: (caller: CallerContext, crossOriginAllowed: boolean, options: unknown): PreparedCreate =>
    wasm.prepareCreate({ ...callerFields(caller), crossOriginCreateAllowed: crossOriginAllowed, options }),
  registrationAuthenticatorData: (prepared: PreparedCreate, key: NewKey): string =>
    wasm.registrationAuthenticatorData(prepared, key),
  finishCreate: (prepared: PreparedCreate, key: NewKey): unknown => wasm.finishCreate(prepared, key),
  prepareGet: (caller: CallerContext, crossOriginAllowed: boolean, options: unknown): PreparedGet =>
    wasm.prepareGet({ ...callerFields(caller), crossOriginGetAllowed: crossOriginAllowed, options }),
  assertionAuthenticatorData: (
    rpId: string,
    flags: { userPresent: boolean; userVerified: boolean; backupEligible: boolean; backupState: boolean },
  ): string => wasm.assertionAuthenticatorData(rpId, flags),
  finishGet: (prepared: PreparedGet, assertion: Assertion): unknown => wasm.finishGet(prepared, assertion),
  inspectRegistration: (attestationObject: string): RegistrationFacts => wasm.inspectRegistration(attestationObject),
  /** An assertion's authenticator data (Browser path): rpIdHash (b64u), flags, counter. */
  inspectAuthenticatorData: (authenticatorData: string): AuthenticatorDataFacts =>
    wasm.inspectAuthenticatorData(authenticatorData),
  /** The site a person means for an RP ID (for rules and display, never for security); TypeError if not a domain. */
  registrableDomain: (rpId: string): string => wasm.registrableDomain(rpId),
};
