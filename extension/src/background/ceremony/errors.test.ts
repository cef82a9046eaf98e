import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostError } from '../host/port';
import { CeremonyFailure, ceremonyError, failureOutcome, HOST_ERRORS } from './errors';

describe('failureOutcome: host errors', () => {
  it('asks again in the window for a wrong PIN, with the tries left when the host knows them', () => {
    assert.deepEqual(failureOutcome(new HostError('wrong_pin', 'Wrong PIN', { tries_left: 2 })), {
      retry: 'Wrong PIN. 2 tries left.',
    });
    assert.deepEqual(failureOutcome(new HostError('wrong_pin', 'Wrong PIN')), { retry: 'Wrong PIN. Try again.' });
  });

  it('shows the host words for a PIN that is needed, a locked chip and a bad request', () => {
    assert.deepEqual(failureOutcome(new HostError('pin_required', 'Choose a PIN for the vault.')), {
      retry: 'Choose a PIN for the vault.',
    });
    assert.deepEqual(failureOutcome(new HostError('pin_required', '')), { retry: 'Enter your PIN.' });
    assert.deepEqual(failureOutcome(new HostError('locked', 'The chip is locked for 10 minutes.')), {
      retry: 'The chip is locked for 10 minutes.',
    });
    assert.deepEqual(failureOutcome(new HostError('bad_request', 'A PIN has at least 4 characters.')), {
      retry: 'A PIN has at least 4 characters.',
    });
  });

  it('offers another store when one is unavailable at registration, and waiting at sign-in', () => {
    assert.deepEqual(failureOutcome(new HostError('store_unavailable', 'No TPM.')), {
      retry: 'No TPM. Choose another place for this passkey.',
    });
    assert.deepEqual(failureOutcome(new HostError('store_unavailable', 'No TPM.'), 'get'), {
      retry: 'No TPM. Try again once it is back, or cancel and sign in another way.',
    });
  });

  it('ends the ceremony with the spec name for the rest', () => {
    assert.deepEqual(failureOutcome(new HostError('excluded', 'x')), {
      fail: { name: 'InvalidStateError', message: 'A passkey for this account already exists in Keyplace.' },
    });
    assert.deepEqual(failureOutcome(new HostError('not_found', 'x')), {
      fail: { name: 'NotAllowedError', message: 'That passkey is no longer in Keyplace.' },
    });
    assert.deepEqual(failureOutcome(new HostError('rp_mismatch', 'Wrong RP.')), {
      fail: { name: 'SecurityError', message: 'Wrong RP.' },
    });
  });

  it('ends with NotAllowedError when the host stopped or hung while carrying out a decision', () => {
    for (const code of ['host_unavailable', 'host_timeout']) {
      assert.deepEqual(failureOutcome(new HostError(code, `${code} happened`)), {
        fail: { name: 'NotAllowedError', message: `${code} happened` },
      });
    }
  });

  it('ends with UnknownError for codes it has no rule for', () => {
    for (const code of ['internal', 'unknown_method', 'something_new', 'constructor', 'toString']) {
      assert.ok(!Object.hasOwn(HOST_ERRORS, code));
      assert.deepEqual(failureOutcome(new HostError(code, `${code} happened`)), {
        fail: { name: 'UnknownError', message: `${code} happened` },
      });
    }
  });

  it('has a rule for every code that the window or the page treats specially', () => {
    assert.deepEqual(Object.keys(HOST_ERRORS).sort(), [
      'bad_request',
      'excluded',
      'host_timeout',
      'host_unavailable',
      'locked',
      'not_found',
      'pin_required',
      'rp_mismatch',
      'store_unavailable',
      'wrong_pin',
    ]);
  });
});

describe('failureOutcome: everything else', () => {
  it("keeps the name of the core's {name, message} errors", () => {
    assert.deepEqual(failureOutcome({ name: 'SecurityError', message: 'The origin is not allowed.' }), {
      fail: { name: 'SecurityError', message: 'The origin is not allowed.' },
    });
    assert.deepEqual(failureOutcome({ name: 'TypeError', message: 'bad options' }), {
      fail: { name: 'TypeError', message: 'bad options' },
    });
  });

  it('keeps the name of a CeremonyFailure', () => {
    assert.deepEqual(failureOutcome(new CeremonyFailure('NotAllowedError', 'Unexpected choice.')), {
      fail: { name: 'NotAllowedError', message: 'Unexpected choice.' },
    });
  });

  it('names any other error UnknownError, even an Error with a name of its own', () => {
    assert.deepEqual(failureOutcome(new TypeError('oops')), { fail: { name: 'UnknownError', message: 'oops' } });
    assert.deepEqual(failureOutcome('plain string'), { fail: { name: 'UnknownError', message: 'plain string' } });
    assert.deepEqual(failureOutcome(undefined), { fail: { name: 'UnknownError', message: 'undefined' } });
  });
});

describe('ceremonyError', () => {
  it('uses the same table outside the window', () => {
    assert.deepEqual(ceremonyError(new HostError('excluded', 'x')).name, 'InvalidStateError');
    assert.deepEqual(ceremonyError({ name: 'NotSupportedError', message: 'no alg' }), {
      name: 'NotSupportedError',
      message: 'no alg',
    });
  });

  it('turns a problem meant for the window into UnknownError with its words', () => {
    assert.deepEqual(ceremonyError(new HostError('wrong_pin', 'x', { tries_left: 1 })), {
      name: 'UnknownError',
      message: 'Wrong PIN. 1 tries left.',
    });
  });
});

describe('the person’s language and the page’s', () => {
  it('shows the window the catalogue’s words, and gives a page English whatever the UI language', () => {
    const chrome = (globalThis as unknown as { chrome: { i18n: unknown } }).chrome;
    const english = chrome.i18n;
    // Another UI language: every message comes back marked, so a page that got one would show it.
    chrome.i18n = { getMessage: (key: string, subs: string[] = []) => `«${key}:${subs.join(',')}»` };
    try {
      const wrong = new HostError('wrong_pin', 'x', { tries_left: 1 });
      assert.deepEqual(failureOutcome(wrong), { retry: '«pinWrongTriesLeft:1»' });
      assert.deepEqual(ceremonyError(wrong), { name: 'UnknownError', message: 'Wrong PIN. 1 tries left.' });
      const gone = new HostError('store_unavailable', 'No TPM.', {}, '«kein TPM»');
      assert.deepEqual(failureOutcome(gone, 'get'), { retry: '«storeUnavailableGet:«kein TPM»»' });
      assert.deepEqual(ceremonyError(gone), {
        name: 'UnknownError',
        message: 'No TPM. Choose another place for this passkey.',
      });
    } finally {
      chrome.i18n = english;
    }
  });
});
