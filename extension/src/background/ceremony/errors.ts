// The one mapping from a failure to what happens next: a problem the person can fix in the consent window
// (shown there, the next decision awaited), or the DOMException name the page's promise rejects with.
// Host errors go by their code (native-host/PROTOCOL.md "Error codes"), the core's {name, message} keep
// their name, and anything else is a bug worth naming as UnknownError.
import type { ErrorCode } from '../../generated/host-protocol';
import { t } from '../../shared/i18n';
import type { CeremonyError, CeremonyResult } from '../../shared/messages';
import { HOST_TIMEOUT, HOST_UNAVAILABLE, HostError } from '../host/port';

/** A failure that ends the ceremony with this DOMException name on the page. */
export class CeremonyFailure extends Error {
  constructor(
    readonly domName: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a failure means for the ceremony: show a problem in the window and wait, or end with an error. */
export type FailureOutcome = { retry: string } | { fail: CeremonyError };

/** Which ceremony a failure happened in: the words the window shows can differ. */
export type CeremonyKind = 'create' | 'get';

/** A problem for the window in the person's words (`shown`), and in English for a page that gets it without one. */
interface RetryWords {
  shown: string;
  page: string;
}

type HostErrorRule = { retry: (err: HostError, kind: CeremonyKind) => RetryWords } | { page: string; message?: string };

/** The host's own words (not translated: they come from the host) followed by the extension's. */
const hostWords = (err: HostError): RetryWords => ({ shown: err.shown, page: err.message });

/** Every host error code the extension treats specially; any other code ends the ceremony as UnknownError. */
export const HOST_ERRORS: {
  readonly [code in ErrorCode | typeof HOST_UNAVAILABLE | typeof HOST_TIMEOUT]?: HostErrorRule;
} = {
  wrong_pin: {
    retry: (err) => {
      const left = err.details.tries_left;
      return typeof left === 'number'
        ? { shown: t('pinWrongTriesLeft', left), page: `Wrong PIN. ${left} tries left.` }
        : { shown: t('pinWrong'), page: 'Wrong PIN. Try again.' };
    },
  },
  pin_required: { retry: (err) => (err.message ? hostWords(err) : { shown: t('pinEnter'), page: 'Enter your PIN.' }) },
  // The chip refuses every PIN for a while; the person can wait, cancel, or use another device.
  locked: { retry: hostWords },
  // Registration: another place can take the passkey. Sign-in: the passkey lives there, so only waiting helps.
  store_unavailable: {
    retry: (err, kind) =>
      kind === 'create'
        ? { shown: t('storeUnavailableCreate', err.shown), page: `${err.message} Choose another place for this passkey.` }
        : {
            shown: t('storeUnavailableGet', err.shown),
            page: `${err.message} Try again once it is back, or cancel and sign in another way.`,
          },
  },
  // A PIN that is too short or similar: the host's message says what to change.
  bad_request: { retry: hostWords },
  excluded: { page: 'InvalidStateError', message: 'A passkey for this account already exists in Keyplace.' },
  not_found: { page: 'NotAllowedError', message: 'That passkey is no longer in Keyplace.' },
  rp_mismatch: { page: 'SecurityError' },
  // The host stopped or hung while carrying out the person's decision: the ceremony ends as the spec's
  // authenticator failures do. (Before the person is asked, such failures hand the request to the browser.)
  [HOST_UNAVAILABLE]: { page: 'NotAllowedError' },
  [HOST_TIMEOUT]: { page: 'NotAllowedError' },
};

export const NOT_ALLOWED: CeremonyError = {
  name: 'NotAllowedError',
  message: 'The operation either timed out or was not allowed.',
};

/** The core throws plain {name, message} objects (never Error instances). */
function isCoreError(err: unknown): err is CeremonyError {
  return !!err && typeof err === 'object' && !(err instanceof Error) && 'name' in err && 'message' in err;
}

function outcomeOf(err: unknown, kind: CeremonyKind): { retry: RetryWords } | { fail: CeremonyError } {
  if (err instanceof CeremonyFailure) return { fail: { name: err.domName, message: err.message } };
  if (err instanceof HostError) {
    // Own keys only: a code such as "constructor" must not find Object.prototype's.
    const rule = Object.hasOwn(HOST_ERRORS, err.code) ? HOST_ERRORS[err.code as keyof typeof HOST_ERRORS] : undefined;
    if (!rule) return { fail: { name: 'UnknownError', message: err.message } };
    if ('retry' in rule) return { retry: rule.retry(err, kind) };
    return { fail: { name: rule.page, message: rule.message ?? err.message } };
  }
  if (isCoreError(err)) return { fail: { name: String(err.name), message: String(err.message) } };
  return { fail: { name: 'UnknownError', message: err instanceof Error ? err.message : String(err) } };
}

/** What a failed step of a ceremony leads to, while the window is open. */
export function failureOutcome(err: unknown, kind: CeremonyKind = 'create'): FailureOutcome {
  const outcome = outcomeOf(err, kind);
  return 'fail' in outcome ? outcome : { retry: outcome.retry.shown };
}

/**
 * The error the page sees for a failure when there is no window to show a problem in: the same table, and
 * a problem the person could have fixed in the window becomes UnknownError with its words (in English: a page
 * never sees the person's language).
 */
export function ceremonyError(err: unknown): CeremonyError {
  const outcome = outcomeOf(err, 'create');
  return 'fail' in outcome ? outcome.fail : { name: 'UnknownError', message: outcome.retry.page };
}


/** The page's answer for a ceremony that ended with a failure. */
export function failed(err: unknown): CeremonyResult {
  return { outcome: 'error', error: ceremonyError(err) };
}

/** The page's answer for a cancelled, timed out, aborted or refused ceremony (all look the same to the page). */
export const NOT_ALLOWED_RESULT: CeremonyResult = { outcome: 'error', error: NOT_ALLOWED };

/** A ceremony from a hidden tab or an unfocused document: the error the browser alone gives, and no window. */
export const NOT_FOCUSED_RESULT: CeremonyResult = {
  outcome: 'error',
  error: { name: 'NotAllowedError', message: 'The document is not focused.' },
};
