// After the browser handled a ceremony that Keyplace handed to it, the page shim reports what came back so
// that Keyplace can show where the passkey is. Everything in the report comes from the page, so it is
// accepted only for a request that this very frame handed to the browser (once, before it expires: see
// ceremony/handoff.ts), only when its authenticator data carries that request's RP ID hash, never over another
// site's record, within bounds per site (locations/storage.ts), and only public facts are kept (never key material).
import type { BrowserAssertionSummary, BrowserCredentialSummary } from '../shared/messages';
import type { Caller } from './caller';
import { handoffs } from './ceremony/handoff';
import { core } from './core';
import type { Host } from './host/api';
import { recordBrowserRegistration, recordBrowserSignIn } from './locations/storage';

const B64U = /^[A-Za-z0-9_-]+$/;
const isB64u = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max && B64U.test(v);

function b64u(bytes: ArrayBuffer): string {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function rpIdHash(rpId: string): Promise<string> {
  return b64u(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(rpId)));
}

export async function recordFromPage(
  host: Host,
  caller: Caller,
  requestId: string,
  credential: unknown,
): Promise<void> {
  if (!credential || typeof credential !== 'object') return;
  const handoff = handoffs.take(caller.key(requestId));
  if (!handoff) return;
  if (handoff.kind === 'create') {
    const summary = credential as BrowserCredentialSummary;
    if (!isB64u(summary.attestationObject, 64 * 1024)) return;
    const facts = core.inspectRegistration(summary.attestationObject);
    // The authenticator made it for the request's RP ID, or it is not this request's passkey.
    if (facts.rpIdHash !== (await rpIdHash(handoff.rpId))) return;
    await recordBrowserRegistration(handoff.rpId, handoff.userName, summary, facts);
    return;
  }
  const summary = credential as BrowserAssertionSummary;
  // Credential ids are at most 1023 bytes (WebAuthn L3); authenticator data with extensions stays small.
  if (!isB64u(summary.id, 1400) || !isB64u(summary.authenticatorData, 16 * 1024)) return;
  if (handoff.allowCredentialIds.length && !handoff.allowCredentialIds.includes(summary.id)) return;
  const facts = core.inspectAuthenticatorData(summary.authenticatorData);
  if (facts.rpIdHash !== (await rpIdHash(handoff.rpId))) return;
  // A Keyplace passkey never goes through the browser, but if the ids ever met, the host's record wins.
  const ours = await host.list({ rp_id: handoff.rpId, credential_ids: [summary.id] }).catch(() => []);
  if (ours.length) return;
  await recordBrowserSignIn(handoff.rpId, summary.id, summary.authenticatorAttachment, facts);
}
