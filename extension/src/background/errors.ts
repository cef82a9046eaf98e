// Turning host and core failures into what the page sees (the spec's DOMException names) or into a
// problem the person can fix in the consent window.
import { HostError } from './host-port';
import type { CeremonyError } from '../shared/messages';
import type { DecisionOutcome } from './consent';
import { asCeremonyError } from './core';

/** A failure that ends the ceremony with this DOMException name on the page. */
export class CeremonyFailure extends Error {
  constructor(
    readonly domName: string,
    message: string,
  ) {
    super(message);
  }
  toCeremonyError(): CeremonyError {
    return { name: this.domName, message: this.message };
  }
}

/** Host errors the person can fix in the window come back as a retry; the rest end the ceremony. */
export function retryOrFail(err: unknown): DecisionOutcome<never> {
  if (!(err instanceof HostError)) throw err;
  switch (err.code) {
    case 'wrong_pin': {
      const left = err.details.tries_left;
      return { retry: typeof left === 'number' ? `Wrong PIN. ${left} tries left.` : 'Wrong PIN. Try again.' };
    }
    case 'pin_required':
      return { retry: err.message || 'Enter your PIN.' };
    case 'locked':
      // The chip refuses every PIN for a while; the person can wait, cancel, or use another device.
      return { retry: err.message };
    case 'store_unavailable':
      return { retry: `${err.message} Choose another place for this passkey.` };
    case 'bad_request':
      // A PIN that is too short or similar: the host's message says what to change.
      return { retry: err.message };
    case 'excluded':
      throw new CeremonyFailure('InvalidStateError', 'A passkey for this account already exists in Keyplace.');
    case 'not_found':
      throw new CeremonyFailure('NotAllowedError', 'That passkey is no longer in Keyplace.');
    case 'rp_mismatch':
      throw new CeremonyFailure('SecurityError', err.message);
    default:
      throw new CeremonyFailure('UnknownError', err.message);
  }
}

export function toCeremonyError(err: unknown): CeremonyError {
  if (err instanceof CeremonyFailure) return err.toCeremonyError();
  if (err instanceof HostError) return { name: 'UnknownError', message: err.message };
  if (err instanceof Error) return { name: 'UnknownError', message: err.message };
  return { name: 'UnknownError', message: String(err) };
}

export const NOT_ALLOWED: CeremonyError = {
  name: 'NotAllowedError',
  message: 'The operation either timed out or was not allowed.',
};

/** A key operation failed: errors thrown by the core end the ceremony; host errors may be retried. */
export function afterKeyOperationFailed(err: unknown): DecisionOutcome<never> {
  if (err && typeof err === 'object' && 'name' in err && !(err instanceof Error)) {
    const { name, message } = asCeremonyError(err);
    throw new CeremonyFailure(name, message);
  }
  return retryOrFail(err);
}
