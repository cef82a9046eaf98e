import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeCapabilities } from './capabilities';

// Chromium's record on Linux (no platform authenticator of its own), as getClientCapabilities() gives it.
const CHROMIUM = {
  conditionalCreate: true,
  conditionalGet: true,
  hybridTransport: true,
  passkeyPlatformAuthenticator: false,
  userVerifyingPlatformAuthenticator: false,
  relatedOrigins: true,
  signalAllAcceptedCredentials: true,
  signalCurrentUserDetails: true,
  signalUnknownCredential: true,
  'extension:appid': true,
  'extension:credProps': true,
  'extension:largeBlob': true,
  'extension:prf': true,
  'extension:credProtect': true,
};

describe('mergeCapabilities', () => {
  it('reports a capability only when every path serves it', () => {
    const merged = mergeCapabilities(CHROMIUM, true);
    assert.equal(merged.relatedOrigins, true);
    assert.equal(merged['extension:credProps'], true);
    assert.equal(merged.signalUnknownCredential, true);
    // Both Keyplace stores serve PRF; Keyplace's own passkeys have no large blob or credProtect yet.
    assert.equal(merged['extension:prf'], true);
    assert.equal(merged['extension:largeBlob'], false);
    assert.equal(merged['extension:credProtect'], false);
  });

  it('autofill (conditionalGet) is true with Keyplace even where the browser has none of its own', () => {
    assert.equal(mergeCapabilities({ ...CHROMIUM, conditionalGet: false }, true).conditionalGet, true);
    assert.equal(mergeCapabilities({ ...CHROMIUM, conditionalGet: false }, false).conditionalGet, false);
  });

  it('keeps the browser’s answer for what only the browser handles, and counts Keyplace as a platform authenticator', () => {
    const merged = mergeCapabilities(CHROMIUM, true);
    assert.equal(merged.conditionalCreate, true);
    assert.equal(merged.hybridTransport, true);
    assert.equal(merged['extension:appid'], true);
    assert.equal(merged.passkeyPlatformAuthenticator, true);
    assert.equal(merged.userVerifyingPlatformAuthenticator, true);
  });

  it('never invents what the browser does not report, and cannot be made to by the page', () => {
    const merged = mergeCapabilities({ relatedOrigins: false, junk: 'yes', 'extension:credProps': 1 }, true);
    assert.deepEqual(merged, {
      relatedOrigins: false,
      passkeyPlatformAuthenticator: true,
      userVerifyingPlatformAuthenticator: true,
      conditionalGet: true,
    });
    assert.deepEqual(mergeCapabilities(null, true), {
      passkeyPlatformAuthenticator: true,
      userVerifyingPlatformAuthenticator: true,
      conditionalGet: true,
    });
  });

  it('is the browser’s own record when Keyplace cannot serve (host unreachable)', () => {
    assert.deepEqual(mergeCapabilities(CHROMIUM, false), CHROMIUM);
  });
});
