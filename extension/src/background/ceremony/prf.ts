// WebAuthn `prf` between the core and the host: the core turned the site's inputs into salts (prf.rs); the host
// evaluates them with the credential's own secret (vault: derived in the host; hardware: an HMAC key in the TPM) and
// answers a list of values. Pure.
import type { CreatePrf, GetPrf, PrfSalts } from '../../generated/core-api';

/** The host's `prf_salts`: first, then second if the site gave one. */
export function saltList(salts: PrfSalts | null | undefined): string[] | undefined {
  if (!salts) return undefined;
  return salts.second ? [salts.first, salts.second] : [salts.first];
}

/** The salts for the credential that signs: its own (evalByCredential), else `eval`. */
export function saltsFor(prf: GetPrf | null | undefined, credentialId: string): string[] | undefined {
  if (!prf) return undefined;
  return saltList(prf.byCredential.find((entry) => entry.credentialId === credentialId)?.salts ?? prf.eval);
}

/** The host's values back in the core's shape. */
export function valuesOf(results: string[] | null | undefined): PrfSalts | null {
  if (!results?.length) return null;
  return results.length > 1 ? { first: results[0], second: results[1] } : { first: results[0] };
}

/** The host's `create` fields for a registration's `prf`. */
export function createPrfParams(prf: CreatePrf | null | undefined): { prf: boolean; prf_salts?: string[] } {
  return prf ? { prf: true, prf_salts: saltList(prf.salts) } : { prf: false };
}
