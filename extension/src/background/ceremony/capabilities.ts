// PublicKeyCredential.getClientCapabilities() with Keyplace installed (ARCHITECTURE.md rule 9): a capability is
// reported true only when it works on every path a request may take — Keyplace's window or the browser (the
// person can always choose the browser there). Pure.

/** Requests for these never reach Keyplace (automatic upgrades, phones, U2F ids): the browser's answer stands. */
const BROWSER_ONLY = new Set(['conditionalCreate', 'hybridTransport', 'extension:appid', 'extension:appidExclude']);

/**
 * "Is there one here": Keyplace's vault and hardware stores are platform authenticators that verify the user, and
 * autofill offers Keyplace's passkeys beside the browser's (ceremony/autofill.ts).
 */
const KEYPLACE_IS_ONE = ['passkeyPlatformAuthenticator', 'userVerifyingPlatformAuthenticator', 'conditionalGet'];

/** What Keyplace's own path serves (prf: vault and TPM both); anything else (largeBlob, credProtect, ...) not yet. */
const KEYPLACE_SERVES = new Set([
  'relatedOrigins',
  'extension:prf',
  'extension:credProps',
  'signalUnknownCredential',
  'signalAllAcceptedCredentials',
  'signalCurrentUserDetails',
]);

/** The browser's record, booleans only (it crossed the page's world). */
function booleans(record: unknown): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  if (!record || typeof record !== 'object') return out;
  for (const [key, value] of Object.entries(record)) if (typeof value === 'boolean') out[key] = value;
  return out;
}

/**
 * The merged record. `keyplaceServes`: the host answered, so Keyplace may take requests; otherwise every
 * request goes to the browser and its own record is the truth. A key the browser does not report stays
 * unreported (unknown), except the "is there one" keys, which Keyplace makes true.
 */
export function mergeCapabilities(browser: unknown, keyplaceServes: boolean): Record<string, boolean> {
  const theirs = booleans(browser);
  if (!keyplaceServes) return theirs;
  const merged: Record<string, boolean> = {};
  for (const [key, value] of Object.entries(theirs)) {
    merged[key] = BROWSER_ONLY.has(key) ? value : value && KEYPLACE_SERVES.has(key);
  }
  for (const key of KEYPLACE_IS_ONE) merged[key] = true;
  return merged;
}
