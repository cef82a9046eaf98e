// Related origin requests (WebAuthn L3 §5.11): the `origins` of `https://{rpId}/.well-known/webauthn`, fetched
// by the background (the manifest's host permission exists for this; the page could not read the document
// across origins) and handed to the core, which decides. A document that cannot be fetched or read gives null:
// the request then goes to the browser, which decides for itself (ARCHITECTURE.md rule 9).

/** How long a fetched list (or a failure) is reused for the same RP ID. */
const CACHE_MS = 5 * 60_000;
const FAILURE_CACHE_MS = 30_000;
/** A page waits for this fetch before anything else happens: a slow server must not hold the ceremony. */
const FETCH_TIMEOUT_MS = 5_000;
/** Far above any real document (Chromium reads a few KB); a bigger answer is refused, not parsed. */
const MAX_DOCUMENT_BYTES = 256 * 1024;
const MAX_CACHED_RP_IDS = 100;

const cache = new Map<string, { origins: string[] | null; until: number }>();

/** The document's `origins` for this RP ID, or null when there is none that can be read. */
export async function relatedOriginsOf(rpId: string, now = Date.now()): Promise<string[] | null> {
  const hit = cache.get(rpId);
  if (hit && hit.until > now) return hit.origins;
  const origins = await fetchOrigins(rpId).catch(() => null);
  if (cache.size >= MAX_CACHED_RP_IDS) cache.delete(cache.keys().next().value as string);
  cache.set(rpId, { origins, until: now + (origins ? CACHE_MS : FAILURE_CACHE_MS) });
  return origins;
}

async function fetchOrigins(rpId: string): Promise<string[] | null> {
  const response = await fetch(`https://${rpId}/.well-known/webauthn`, {
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
    redirect: 'error',
    cache: 'no-store',
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  const mime = response.headers.get('content-type')?.split(';')[0].trim().toLowerCase();
  if (!response.ok || mime !== 'application/json') return null;
  const text = await response.text();
  if (text.length > MAX_DOCUMENT_BYTES) return null;
  return originsFromDocument(text);
}

/** The spec's checks on the document: a JSON object whose `origins` is a list of strings. Pure. */
export function originsFromDocument(text: string): string[] | null {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return null;
  }
  const origins = (document as { origins?: unknown } | null)?.origins;
  if (!Array.isArray(origins) || !origins.every((o) => typeof o === 'string')) return null;
  return origins;
}

/** The RP ID a core SecurityError asks the background to check related origins for, if any. */
export function relatedOriginsRpIdOf(err: unknown): string | null {
  const rpId = (err as { relatedOriginsRpId?: unknown } | null)?.relatedOriginsRpId;
  return typeof rpId === 'string' ? rpId : null;
}

/**
 * Runs the core's prepare step; when it refused only because the RP ID is another site's, fetches that RP ID's
 * related origins and prepares once more with them. Whatever still fails is thrown as the core threw it.
 */
export async function prepareWithRelatedOrigins<T>(prepare: (relatedOrigins?: string[]) => T): Promise<T> {
  try {
    return prepare();
  } catch (err) {
    const rpId = relatedOriginsRpIdOf(err);
    const origins = rpId ? await relatedOriginsOf(rpId) : null;
    if (!origins) throw err;
    return prepare(origins);
  }
}
