// Authentication: the background's part of navigator.credentials.get(). Only requests that Keyplace can
// answer open the window; anything else (foreign credential ids, no Keyplace passkey for the site, host
// missing) goes straight to the browser, so security-key MFA keeps working untouched.
import { type CeremonyResult, wantsUserVerification } from '../../shared/messages';
import type { Caller, RequestContext } from '../caller';
import { core, type PreparedGet } from '../core';
import type { Host, HostCredential, HostHello } from '../host/api';
import { shownProblem } from '../host/port';
import { loadMarks, withoutDisowned } from '../locations/site-signals';
import { clearNotice, showNotice } from '../notices';
import { signInDetails } from './details';
import { CeremonyFailure, failed, failureOutcome, NOT_ALLOWED_RESULT, NOT_FOCUSED_RESULT } from './errors';
import { prepareWithRelatedOrigins } from '../related-origins';
import { handoffs } from './handoff';
import { saltsFor, valuesOf } from './prf';
import { hostUnreachableNotice, routeSignIn, signInLookup, TO_THE_BROWSER } from './routing';
import { ConsentSession } from './session';
import { windowBudget } from './window-budget';
import { CeremonyTimer, markCold } from './timing';

export type Timer = CeremonyTimer<Host, typeof core>;

export async function signIn(
  host: Host,
  caller: Caller,
  requestId: string,
  publicKey: unknown,
  context: RequestContext,
): Promise<CeremonyResult> {
  const timer: Timer = new CeremonyTimer(host, core);
  const key = caller.key(requestId);
  const prepared = await prepareSignIn(timer, caller, publicKey, context);
  if (!prepared) return TO_THE_BROWSER; // ARCHITECTURE.md rule 9: what Keyplace cannot take, the browser answers
  markCold('prepared');
  // Focus is checked after the RP ID, as the browser does: a bad RP ID is a SecurityError even from a
  // document in the background (Chromium's AuthenticatorCommonImpl orders them so).
  if (!context.attentive) return NOT_FOCUSED_RESULT;

  // Route: what Keyplace holds for this request decides between the window and the browser.
  let found: HostCredential[];
  let hello: HostHello;
  try {
    [found, hello] = await Promise.all([timer.host.list(signInLookup(prepared)), timer.host.hello()]);
    markCold('hostAnswered');
  } catch (err) {
    // Fail open: the browser handles it, and the toolbar button and the popup say why, in one line.
    const notice = hostUnreachableNotice(shownProblem(err));

    await showNotice(caller.tabId, prepared.rpId, notice).catch(() => undefined);
    return handToBrowser(key, prepared, notice);
  }
  void clearNotice(caller.tabId).catch(() => undefined);
  // Passkeys the site said it no longer knows or accepts (Signal API) are not offered.
  const marks = await loadMarks().catch(() => ({}));
  const route = routeSignIn(prepared.allowCredentialIds, withoutDisowned(found, marks, prepared.allowCredentialIds));
  if (route.to === 'browser') return handToBrowser(key, prepared);
  const { candidates } = route;

  const outcome = await signInWindow(timer, caller, key, prepared, candidates, hello);
  if (outcome === 'unopened' || outcome === 'browser') return handToBrowser(key, prepared);
  return outcome === 'cancel' || outcome === 'ended' ? NOT_ALLOWED_RESULT : outcome;
}

/**
 * The Keyplace window for a sign-in: the person confirms one of `candidates` and gives the PIN where it is asked.
 * Ends with the page's answer, or how the window ended without one: cancelled, ended (timed out, aborted, closed
 * with its tab), "browser" (the person chose another way) or unopened (nobody was asked: the browser answers).
 */
export async function signInWindow(
  timer: Timer,
  caller: Caller,
  key: string,
  prepared: PreparedGet,
  candidates: HostCredential[],
  hello: HostHello,
): Promise<CeremonyResult | 'cancel' | 'ended' | 'browser' | 'unopened'> {
  // A page whose windows keep going to waste (a loop) gets no more of them for a while (ARCHITECTURE.md rule 8).
  const ticket = windowBudget.take(caller.origin);
  if (!ticket) return NOT_ALLOWED_RESULT;
  let session: ConsentSession;
  try {
    session = await ConsentSession.open(
      key,
      Promise.resolve(signInDetails(prepared, caller, candidates, hello)),
      prepared.timeoutMs,
      timer,
      ticket,
    );
  } catch (err) {
    console.warn('Keyplace: could not open its window; the browser handles this request', err);
    return 'unopened';
  }

  try {
    for (;;) {
      const decision = await session.decision();
      if (decision.action === 'cancel') return 'cancel';
      // Closed or timed out, the person may try again (autofill keeps its offer); aborted or gone, nobody can.
      if (decision.action === 'ended') return ['window-closed', 'timeout'].includes(decision.reason) ? 'cancel' : 'ended';
      if (decision.action === 'browser') {
        await session.returnToPage();
        return 'browser';
      }
      if (decision.action !== 'sign') throw new CeremonyFailure('NotAllowedError', 'Unexpected choice.');
      const chosen = candidates.find((c) => c.credential_id === decision.credentialId);
      if (!chosen) throw new CeremonyFailure('NotAllowedError', 'That passkey was not offered for this site.');

      let credential: unknown;
      try {
        credential = await signWith(timer, prepared, chosen, decision.pin);
      } catch (err) {
        const outcome = failureOutcome(err, 'get');
        if ('fail' in outcome) return { outcome: 'error', error: outcome.fail };
        session.retry(outcome.retry);
        continue;
      }
      if (session.ended) return 'ended'; // timed out, aborted or closed meanwhile
      timer.record('get', chosen.store);
      return { outcome: 'credential', credential };
    }
  } catch (err) {
    return failed(err);
  } finally {
    void session.close(); // the page need not wait for the window to go
  }
}

/**
 * Prepare: the core checks the caller and the page's options and builds the client data; null when Keyplace cannot
 * take the request (the browser answers). An RP ID of another site may still be this origin's through its related
 * origins (WebAuthn L3 §5.11).
 */
export async function prepareSignIn(
  timer: Timer,
  caller: Caller,
  publicKey: unknown,
  context: RequestContext,
): Promise<PreparedGet | null> {
  try {
    return await prepareWithRelatedOrigins((related) =>
      timer.core.prepareGet(caller, context.permissionAllowed, publicKey, related),
    );
  } catch {
    return null;
  }
}

function handToBrowser(key: string, prepared: PreparedGet, notice?: string): CeremonyResult {
  handoffs.add(
    key,
    { kind: 'get', rpId: prepared.rpId, allowCredentialIds: prepared.allowCredentialIds },
    prepared.timeoutMs,
  );
  return notice ? { outcome: 'browser', notice } : { outcome: 'browser' };
}

/** The host signs authenticator data the core built; the core builds the assertion. */
async function signWith(
  { host, core }: Timer,
  prepared: PreparedGet,
  chosen: HostCredential,
  pin: string | null,
): Promise<unknown> {
  // UV starts false: the host sets it only when it verified the PIN itself.
  const authenticatorData = core.assertionAuthenticatorData(prepared.rpId, {
    userPresent: true,
    userVerified: false,
    backupEligible: chosen.backup_eligible,
    backupState: chosen.backup_state,
  });
  const signed = await host.sign({
    credential_id: chosen.credential_id,
    authenticator_data: authenticatorData,
    client_data_hash: prepared.clientDataHash,
    pin,
    require_user_verification: wantsUserVerification(prepared.userVerification),
    prf_salts: saltsFor(prepared.prf, chosen.credential_id),
  });
  return core.finishGet(prepared, {
    credentialId: chosen.credential_id,
    authenticatorData: signed.authenticator_data,
    signature: signed.signature,
    userHandle: signed.user_handle,
    prfResults: valuesOf(signed.prf_results),
  });
}
