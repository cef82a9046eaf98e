// Generated from wasm-core/src by ts-rs (wasm-core/src/typescript.rs): do not edit. To refresh:
//   KEYPLACE_UPDATE_GENERATED=1 cargo test -p keyplace-core generated_typescript
// The shapes of wasm-core/API.md: what crosses the boundary through serde-wasm-bindgen (json_compatible).

/**
 * Bytes as base64url without padding.
 */
export type Base64Url = string;

/**
 * The DOMException (or `TypeError`) name the page must see.
 */
export type ErrorName = "TypeError" | "NotSupportedError" | "SecurityError" | "NotAllowedError" | "InvalidStateError" | "ConstraintError" | "SyntaxError" | "UnknownError";

/**
 * What every export throws on failure.
 */
export type CoreError = { name: ErrorName, message: string, 
/**
 * Set on the SecurityError of an RP ID that its related origins might allow (WebAuthn L3 §5.11): the
 * background fetches this RP ID's `/.well-known/webauthn` and prepares again with its `origins`.
 */
relatedOriginsRpId?: string, };

export type Requirement = "required" | "preferred" | "discouraged";

export type Attachment = "platform" | "cross-platform";

/**
 * WebAuthn L3 `PublicKeyCredentialHint`: what kind of authenticator the site suggests, most preferred first.
 */
export type Hint = "security-key" | "client-device" | "hybrid";

/**
 * The browser Keyplace runs in, where the browsers answer odd input differently and Keyplace must answer as the one
 * it runs in (ARCHITECTURE.md rule 9). Absent: neither's leniency.
 */
export type Client = "chromium" | "firefox";

export type AttestationConveyance = "none" | "indirect" | "direct" | "enterprise";

/**
 * The type of every credential the core returns (PublicKeyCredentialType).
 */
export type CredentialType = "public-key";

/**
 * How the relying party may reach the authenticator (AuthenticatorTransport); Keyplace's is built in.
 */
export type Transport = "internal";

/**
 * The four flags a relying party reads, as they cross to JavaScript: `{up, uv, be, bs}`.
 */
export type FlagSummary = { up: boolean, uv: boolean, be: boolean, bs: boolean, };

/**
 * What the background sends: the origin facts it took from the browser, and the page's options.
 */
export type CreateRequest = { origin: string, topOrigin: string | null, sameOriginWithAncestors: boolean, 
/**
 * Absent counts as false.
 */
crossOriginCreateAllowed: boolean, 
/**
 * The browser Keyplace runs in, where browsers answer odd options differently; absent: neither's leniency.
 */
client?: Client, 
/**
 * The `origins` of the requested RP ID's `/.well-known/webauthn`, when the background fetched it after a
 * SecurityError that named that RP ID (WebAuthn L3 related origin requests).
 */
relatedOrigins?: Array<string>, 
/**
 * The page's PublicKeyCredentialCreationOptions, buffers as `{"$bytes": b64u}`; checked here, not typed.
 */
options: unknown, };

export type PreparedUser = { id: Base64Url, name: string, displayName: string, };

/**
 * The checked request, handed back unchanged to `registrationAuthenticatorData` and `finishCreate`.
 */
export type PreparedCreate = { rpId: string, rpName: string, user: PreparedUser, clientDataJSON: Base64Url, clientDataHash: Base64Url, excludeCredentialIds: Array<Base64Url>, alg: number, residentKey: Requirement, userVerification: Requirement, authenticatorAttachment: Attachment | null, attestation: AttestationConveyance, credPropsRequested: boolean, 
/**
 * The `prf` extension, when the site asked for it: the host gives the credential a PRF secret.
 */
prf?: CreatePrf, 
/**
 * largeBlob's output, when the site gave the extension (prepared here, returned by `finish_create`).
 */
largeBlob?: LargeBlobOutput, 
/**
 * credBlob's output, when the site gave a blob (prepared here, returned by `finish_create`).
 */
credBlob?: boolean, timeoutMs: number, 
/**
 * The site's hints, known ones only, most preferred first (the window orders its choices by them).
 */
hints: Array<Hint>, };

/**
 * The key the host created.
 */
export type CreatedKey = { credentialId: Base64Url, 
/**
 * SEC1 uncompressed P-256 point (65 bytes).
 */
publicKey: Base64Url, 
/**
 * A UUID, `8-4-4-4-12` hex digits.
 */
aaguid: string, signCount: number, userVerified: boolean, backupEligible: boolean, backupState: boolean, residentKey: boolean, 
/**
 * DER ECDSA P-256 signature by the credential's own key over `authenticatorData || clientDataHash`, where
 * authenticatorData is what `registrationAuthenticatorData` returns. Present: "packed" self attestation;
 * absent or null: "none".
 */
attestationSignature?: Base64Url | null, 
/**
 * Whether the store gave the credential a PRF secret (asked for by `prf`), and the values for `prf.eval`.
 */
prfEnabled?: boolean, prfResults?: PrfSalts | null, };

export type AttestationResponse = { clientDataJSON: Base64Url, attestationObject: Base64Url, authenticatorData: Base64Url, 
/**
 * DER SubjectPublicKeyInfo.
 */
publicKey: Base64Url, publicKeyAlgorithm: number, transports: Array<Transport>, };

export type CredProps = { rk: boolean, };

export type RegistrationExtensionResults = { 
/**
 * Present only when the page asked for credProps.
 */
credProps?: CredProps, 
/**
 * Present only when the page asked for prf.
 */
prf?: PrfRegistrationOutput, 
/**
 * Present when the page gave largeBlob (as the browser Keyplace runs in answers it).
 */
largeBlob?: LargeBlobOutput, 
/**
 * Present when the page gave credBlob, in Chromium (as the browser Keyplace runs in answers it).
 */
credBlob?: boolean, };

/**
 * The PublicKeyCredential's JSON form (as `toJSON()` gives it); the page shim rebuilds the object from it.
 */
export type RegistrationCredential = { id: string, rawId: Base64Url, type: CredentialType, authenticatorAttachment: Attachment, response: AttestationResponse, clientExtensionResults: RegistrationExtensionResults, };

export type GetRequest = { origin: string, topOrigin: string | null, sameOriginWithAncestors: boolean, 
/**
 * Absent counts as false.
 */
crossOriginGetAllowed: boolean, 
/**
 * The browser Keyplace runs in, where browsers answer odd options differently; absent: neither's leniency.
 */
client?: Client, 
/**
 * The `origins` of the requested RP ID's `/.well-known/webauthn`, when the background fetched it after a
 * SecurityError that named that RP ID (WebAuthn L3 related origin requests).
 */
relatedOrigins?: Array<string>, 
/**
 * The page's PublicKeyCredentialRequestOptions, buffers as `{"$bytes": b64u}`; checked here, not typed.
 */
options: unknown, };

/**
 * The checked request, handed back unchanged to `finishGet`.
 */
export type PreparedGet = { rpId: string, clientDataJSON: Base64Url, clientDataHash: Base64Url, allowCredentialIds: Array<Base64Url>, userVerification: Requirement, 
/**
 * The `prf` extension, when the site asked for it: salts per credential for the host.
 */
prf?: GetPrf, 
/**
 * largeBlob's output, when the site asked to read or write (prepared here, returned by `finish_get`).
 */
largeBlob?: LargeBlobOutput, 
/**
 * getCredBlob's output, when the site asked for the blob (prepared here, returned by `finish_get`).
 */
getCredBlob?: Base64Url, timeoutMs: number, };

/**
 * The flags `assertionAuthenticatorData` writes; the host sets the true UV bit before it signs.
 */
export type AssertionFlags = { userPresent: boolean, userVerified: boolean, backupEligible: boolean, backupState: boolean, };

/**
 * What the host returns after signing.
 */
export type SignedAssertion = { credentialId: Base64Url, authenticatorData: Base64Url, 
/**
 * DER ECDSA signature.
 */
signature: Base64Url, userHandle: Base64Url | null, 
/**
 * The PRF values the host computed for the salts of this credential, if any were asked for.
 */
prfResults?: PrfSalts | null, };

export type AssertionResponse = { clientDataJSON: Base64Url, authenticatorData: Base64Url, signature: Base64Url, userHandle: Base64Url | null, };

export type AssertionExtensionResults = { 
/**
 * Present only when the page asked for prf.
 */
prf?: PrfAssertionOutput, 
/**
 * Present when the page asked largeBlob to read or write.
 */
largeBlob?: LargeBlobOutput, 
/**
 * Present when the page asked for getCredBlob, in Chromium: base64url here, an ArrayBuffer for the page.
 */
getCredBlob?: Base64Url, };

/**
 * The PublicKeyCredential's JSON form (as `toJSON()` gives it); the page shim rebuilds the object from it.
 */
export type AssertionCredential = { id: string, rawId: Base64Url, type: CredentialType, authenticatorAttachment: Attachment, response: AssertionResponse, clientExtensionResults: AssertionExtensionResults, };

/**
 * Where a passkey made by another authenticator went.
 */
export type RegistrationInfo = { fmt: string, 
/**
 * SHA-256 of the RP ID the authenticator made the passkey for: the extension records it only for that RP ID.
 */
rpIdHash: Base64Url, aaguid: string, credentialId: Base64Url, flags: FlagSummary, signCount: number, };

export type AuthenticatorDataInfo = { rpIdHash: Base64Url, flags: FlagSummary, signCount: number, };

/**
 * The salts for one evaluation: `second` only when the site gave a second input.
 */
export type PrfSalts = { first: Base64Url, second?: Base64Url, };

/**
 * Salts for one credential of `allowCredentials` (evalByCredential).
 */
export type CredentialSalts = { credentialId: Base64Url, salts: PrfSalts, };

/**
 * A registration asked for `prf`; `salts` when it also asked for values at once (`eval`).
 */
export type CreatePrf = { salts?: PrfSalts, };

/**
 * A sign-in asked for `prf`: `eval` for any credential, `byCredential` for the ones it names.
 */
export type GetPrf = { eval?: PrfSalts, byCredential: Array<CredentialSalts>, };

/**
 * The `prf` output of a registration: whether the credential has a PRF, and values when `eval` was given.
 */
export type PrfRegistrationOutput = { enabled: boolean, results?: PrfSalts, };

/**
 * largeBlob's output (§10.1.5). Keyplace's stores keep no large blobs, so it says what the browser says for an
 * authenticator without them: Chromium `{supported: false}` at registration (Firefox gives none), `{}` for a read,
 * `{written: false}` for a write.
 */
export type LargeBlobOutput = { supported?: boolean, written?: boolean, };

/**
 * The `prf` output of a sign-in.
 */
export type PrfAssertionOutput = { results?: PrfSalts, };

/**
 * What the background sends: the caller's origin (from the browser), the method and the page's options.
 */
export type SignalRequest = { origin: string, method: string, 
/**
 * The RP ID's related origins, once a SecurityError asked for them (as for create and get).
 */
relatedOrigins?: Array<string>, options: unknown, };

/**
 * The three methods.
 */
export type SignalMethod = "signalUnknownCredential" | "signalAllAcceptedCredentials" | "signalCurrentUserDetails";

/**
 * A checked signal, for the RP ID it names (which the caller's origin may speak for). A flat record rather than
 * an enum of three: the members each method has are set, the others absent (and serde's code for it is a
 * fraction of a tagged enum's, which counts in a 400 KB module).
 */
export type Signal = { method: SignalMethod, rpId: string, credentialId?: Base64Url, userId?: Base64Url, allAcceptedCredentialIds?: Array<Base64Url>, name?: string, displayName?: string, };

/** The exports of keyplace_core.js (wasm.rs). Each throws a CoreError on failure. */
export interface CoreApi {
  prepareCreate(request: CreateRequest): PreparedCreate;
  registrationAuthenticatorData(prepared: PreparedCreate, key: CreatedKey): string;
  finishCreate(prepared: PreparedCreate, key: CreatedKey): RegistrationCredential;
  prepareGet(request: GetRequest): PreparedGet;
  assertionAuthenticatorData(rpId: string, flags: AssertionFlags): string;
  finishGet(prepared: PreparedGet, assertion: SignedAssertion): AssertionCredential;
  inspectRegistration(attestationObject: string): RegistrationInfo;
  inspectAuthenticatorData(authenticatorData: string): AuthenticatorDataInfo;
  registrableDomain(rpId: string): string;
  checkSignal(request: SignalRequest): Signal;
}
