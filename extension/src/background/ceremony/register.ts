// Registration: the background's part of navigator.credentials.create(). The core validates and builds; the
// person decides in the Keyplace window (ARCHITECTURE.md rule 6); the host makes the key.
import {
  type CeremonyResult,
  type Choice,
  type ConsentDetails,
  type SiteRule,
  wantsUserVerification,
} from '../../shared/messages';
import type { Caller, RequestContext } from '../caller';
import { core, type NewKey, type PreparedCreate } from '../core';
import type { Host } from '../host/api';
import { shownProblem } from '../host/port';
import { ruleFor, setRule } from '../rules';
import { detailsFor } from './details';
import { CeremonyFailure, failed, failureOutcome, NOT_ALLOWED_RESULT, NOT_FOCUSED_RESULT } from './errors';
import { prepareWithRelatedOrigins } from '../related-origins';
import { handoffs } from './handoff';
import { createPrfParams, valuesOf } from './prf';
import { browserAllowed, routeRegistration, ruleViolation, TO_THE_BROWSER } from './routing';
import { ConsentSession } from './session';
import { windowBudget } from './window-budget';
import { CeremonyTimer, markCold } from './timing';

type Timer = CeremonyTimer<Host, typeof core>;

export async function register(
  host: Host,
  caller: Caller,
  requestId: string,
  publicKey: unknown,
  context: RequestContext,
): Promise<CeremonyResult> {
  const timer: Timer = new CeremonyTimer(host, core);
  const key = caller.key(requestId);

  // Prepare: the core checks the caller and the page's options and builds the client data.
  let prepared: PreparedCreate;
  try {
    // An RP ID of another site may still be this origin's through its related origins (WebAuthn L3 §5.11).
    prepared = await prepareWithRelatedOrigins((related) =>
      timer.core.prepareCreate(caller, context.permissionAllowed, publicKey, related),
    );
  } catch {
    return TO_THE_BROWSER; // ARCHITECTURE.md rule 9: what Keyplace cannot take, the browser answers
  }
  markCold('prepared');
  // Focus is checked after the RP ID, as the browser does: a bad RP ID is a SecurityError even from a
  // document in the background (Chromium's AuthenticatorCommonImpl orders them so).
  if (!context.attentive) return NOT_FOCUSED_RESULT;

  // Route: a "browser" rule goes straight to the browser's own WebAuthn, whose UI is the prompt. Every
  // other choice goes through the Keyplace window, where presence is real.
  const policy = await siteRule(prepared.rpId);
  markCold('ruleRead');
  if (routeRegistration(policy, prepared) === 'browser') return handToBrowser(key, prepared);

  // The window opens while the host answers (on a cold start that includes spawning it); the window waits
  // for these details, not the other way round. Not timed as host work: it overlaps the window opening. The
  // host is asked a microtask later, so the window's request reaches the browser before the host's spawn.
  const details: Promise<ConsentDetails> = Promise.resolve()
    .then(() => host.hello())
    .then(
      (hello) => {
        markCold('hostAnswered');
        return detailsFor(prepared, caller, hello, null, policy);
      },
      (err) => detailsFor(prepared, caller, null, shownProblem(err), policy),
    );
  // A page whose windows keep going to waste (a loop) gets no more of them for a while (ARCHITECTURE.md rule 8).
  const ticket = windowBudget.take(caller.origin);
  if (!ticket) return NOT_ALLOWED_RESULT;
  let session: ConsentSession;
  try {
    session = await ConsentSession.open(key, details, prepared.timeoutMs, timer, ticket);
  } catch (err) {
    // The window could not open: nobody was asked yet, so the browser answers (rule 9).
    console.warn('Keyplace: could not open its window; the browser handles this request', err);
    return handToBrowser(key, prepared);
  }

  try {
    for (;;) {
      const decision = await session.decision();
      if (decision.action === 'ended' || decision.action === 'cancel') return NOT_ALLOWED_RESULT;
      const { rule } = await details;
      if (decision.action === 'browser') {
        await session.returnToPage();
        if (!browserAllowed(rule)) return NOT_ALLOWED_RESULT;
        if (decision.remember && !rule) await remember(policy.site, 'browser');
        return handToBrowser(key, prepared);
      }
      if (decision.action !== 'create') throw new CeremonyFailure('NotAllowedError', 'Unexpected choice.');

      const violation = ruleViolation(rule, decision.store);
      if (violation) {
        session.retry(violation);
        continue;
      }
      let created: { credentialId: string; credential: unknown };
      try {
        created = await createPasskey(timer, prepared, decision);
      } catch (err) {
        const outcome = failureOutcome(err);
        if ('fail' in outcome) return { outcome: 'error', error: outcome.fail };
        session.retry(outcome.retry);
        continue;
      }
      if (session.ended) {
        // Timed out, aborted or closed meanwhile: the page will not get this passkey.
        await timer.host.delete(created.credentialId).catch(() => undefined);
        return NOT_ALLOWED_RESULT;
      }
      if (decision.remember && !rule) await remember(policy.site, decision.store);
      timer.record('create', decision.store);
      return { outcome: 'credential', credential: created.credential };
    }
  } catch (err) {
    return failed(err);
  } finally {
    void session.close(); // the page need not wait for the window to go
  }
}

/** The site's rule (or the default choice); storage that cannot be read means asking. */
async function siteRule(rpId: string): Promise<SiteRule> {
  try {
    return await ruleFor(rpId);
  } catch (err) {
    console.warn('Keyplace: could not read the site rules; asking', err);
    return { site: rpId, choice: 'ask', ruleSite: null };
  }
}

/** "Always use this for <site>". */
async function remember(site: string, choice: Choice): Promise<void> {
  const saved = await setRule(site, choice).catch((err) => ({ ok: false, error: String(err) }));
  if (!saved.ok) console.warn('Keyplace: could not save the rule', saved);
}

function handToBrowser(key: string, prepared: PreparedCreate): CeremonyResult {
  handoffs.add(key, { kind: 'create', rpId: prepared.rpId, userName: prepared.user.name }, prepared.timeoutMs);
  return { outcome: 'browser' };
}

/**
 * The host makes the key and the core builds the credential. If anything fails after the key exists, the
 * page will not get it, so it must not stay behind in the store.
 */
async function createPasskey(
  { host, core }: Timer,
  prepared: PreparedCreate,
  decision: { store: 'hardware' | 'vault'; accountName: string; pin: string | null },
): Promise<{ credentialId: string; credential: unknown }> {
  const residentKey = prepared.residentKey !== 'discouraged';
  const key = await host.create({
    store: decision.store,
    rp_id: prepared.rpId,
    user: {
      id: prepared.user.id,
      name: decision.accountName.trim() || prepared.user.name,
      display_name: prepared.user.displayName,
    },
    pin: decision.pin,
    exclude_credential_ids: prepared.excludeCredentialIds,
    resident_key: residentKey,
    require_user_verification: wantsUserVerification(prepared.userVerification),
    ...createPrfParams(prepared.prf),
  });
  try {
    const newKey: NewKey = {
      credentialId: key.credential_id,
      publicKey: key.public_key,
      aaguid: key.aaguid,
      signCount: key.sign_count,
      userVerified: key.user_verified,
      backupEligible: key.backup_eligible,
      backupState: key.backup_state,
      residentKey,
      prfEnabled: key.prf_enabled,
      prfResults: valuesOf(key.prf_results),
    };
    // A relying party that asks for attestation of a hardware passkey gets the key's own signature over its
    // registration ("packed" self-attestation); otherwise "none", which tells it nothing false.
    if (decision.store === 'hardware' && prepared.attestation !== 'none') {
      newKey.attestationSignature = await host.attest({
        credential_id: key.credential_id,
        authenticator_data: core.registrationAuthenticatorData(prepared, newKey),
        client_data_hash: prepared.clientDataHash,
        pin: decision.pin,
      });
    }
    return { credentialId: key.credential_id, credential: core.finishCreate(prepared, newKey) };
  } catch (err) {
    await host.delete(key.credential_id).catch(() => undefined);
    throw err;
  }
}
