import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  browserSummary,
  extensionResultsForPage,
  NotRepresentable,
  optionsToWire,
  toB64u,
  toPageCredential,
} from './convert';

const bytes = (...b: number[]) => new Uint8Array(b);
const text = (buffer: unknown) => toB64u(new Uint8Array(buffer as ArrayBuffer));

describe('optionsToWire', () => {
  it('turns {$bytes: Uint8Array} into base64url and leaves everything else as it is', () => {
    const wire = optionsToWire({ challenge: { $bytes: bytes(1, 2, 3) }, list: [{ $bytes: bytes(255) }], n: 5, s: 'x' });
    assert.deepEqual(wire, { challenge: { $bytes: 'AQID' }, list: [{ $bytes: '_w' }], n: 5, s: 'x' });
    // Only an object whose one member is $bytes with bytes is a buffer.
    assert.deepEqual(optionsToWire({ $bytes: 'AQID' }), { $bytes: 'AQID' });
    assert.deepEqual(optionsToWire({ $bytes: bytes(1), other: 1 }), { $bytes: { 0: 1 }, other: 1 });
  });

  it('refuses what is nested past any WebAuthn member, cycles included, and BigInts', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => optionsToWire(cyclic), NotRepresentable);
    assert.throws(() => optionsToWire({ timeout: 10n }), NotRepresentable);
  });

  it('leaves out members that are undefined (absent in WebIDL), keeps null and array holes as null', () => {
    assert.deepEqual(optionsToWire({ rp: { id: undefined, name: 'x' }, rpId: null }), { rp: { name: 'x' }, rpId: null });
    assert.ok(!('id' in (optionsToWire({ id: undefined }) as object)));
    assert.deepEqual(optionsToWire([undefined, null]), [undefined, null]);
  });
});

describe('toPageCredential', () => {
  const registration = {
    id: 'AQID',
    rawId: 'AQID',
    type: 'public-key',
    authenticatorAttachment: 'platform',
    response: {
      clientDataJSON: 'e30',
      attestationObject: 'oA',
      authenticatorData: 'AA',
      publicKey: 'BA',
      publicKeyAlgorithm: -7,
      transports: ['internal'],
    },
    clientExtensionResults: { credProps: { rk: true }, prf: { enabled: true, results: { first: 'CQk' } } },
  };

  it('gives buffers for attributes and method results, the JSON form for toJSON', () => {
    const c = toPageCredential(registration);
    assert.equal(c.create, true);
    assert.deepEqual(Object.keys(c.fields), ['id', 'rawId', 'type', 'authenticatorAttachment', 'response']);
    assert.equal(text(c.fields.rawId), 'AQID');
    assert.equal(text(c.response.fields.attestationObject), 'oA');
    assert.equal(c.response.methods.getPublicKeyAlgorithm, -7);
    assert.deepEqual(c.response.methods.getTransports, ['internal']);
    assert.equal(c.methods.toJSON, registration);
    const results = c.methods.getClientExtensionResults as { prf: { enabled: boolean; results: { first: ArrayBuffer } } };
    assert.equal(results.prf.enabled, true);
    assert.equal(text(results.prf.results.first), 'CQk');
  });

  it('gives an assertion its four attributes and a null userHandle when there is none', () => {
    const c = toPageCredential({
      ...registration,
      response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'MA', userHandle: null },
      clientExtensionResults: {},
    });
    assert.equal(c.create, false);
    assert.deepEqual(Object.keys(c.response.fields), ['clientDataJSON', 'authenticatorData', 'signature', 'userHandle']);
    assert.equal(c.response.fields.userHandle, null);
    assert.deepEqual(extensionResultsForPage(undefined), {});
  });

  it('gives getCredBlob as an ArrayBuffer (empty: Keyplace keeps no blobs), other outputs as they are', () => {
    const results = extensionResultsForPage({ getCredBlob: '', largeBlob: {} }) as Record<string, unknown>;
    assert.ok(results.getCredBlob instanceof ArrayBuffer);
    assert.equal((results.getCredBlob as ArrayBuffer).byteLength, 0);
    assert.deepEqual(results.largeBlob, {});
    assert.deepEqual(extensionResultsForPage({ credBlob: false }), { credBlob: false });
  });
});

describe('browserSummary', () => {
  it('keeps only public facts from toJSON(), and refuses other shapes', () => {
    const json = {
      id: 'id',
      rawId: 'id',
      type: 'public-key',
      authenticatorAttachment: 'cross-platform',
      response: { attestationObject: 'oA', authenticatorData: 'AA', transports: ['usb', 5], clientDataJSON: 'e30' },
      clientExtensionResults: { prf: { results: { first: 'secret' } } },
    };
    const created = browserSummary(json, 'create');
    assert.deepEqual(created, { id: 'id', authenticatorAttachment: 'cross-platform', attestationObject: 'oA', transports: ['usb'] });
    assert.deepEqual(browserSummary({ ...json, authenticatorAttachment: null }, 'get'), {
      id: 'id',
      authenticatorAttachment: null,
      authenticatorData: 'AA',
    });
    assert.equal(browserSummary({ ...json, response: { attestationObject: 'not base64url!' } }, 'create'), null);
    assert.equal(browserSummary({ id: 'id', authenticatorAttachment: null }, 'get'), null);
    assert.equal(browserSummary(null, 'get'), null);
  });
});
