import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPrfParams, saltList, saltsFor, valuesOf } from './prf';

describe('prf between the core and the host', () => {
  it('picks the credential’s own salts first, else eval, else none', () => {
    const prf = {
      eval: { first: 'E1' },
      byCredential: [{ credentialId: 'cred-a', salts: { first: 'A1', second: 'A2' } }],
    };
    assert.deepEqual(saltsFor(prf, 'cred-a'), ['A1', 'A2']);
    assert.deepEqual(saltsFor(prf, 'cred-b'), ['E1']);
    assert.equal(saltsFor({ byCredential: [] }, 'cred-b'), undefined);
    assert.equal(saltsFor(undefined, 'cred-a'), undefined);
  });

  it('maps the host’s list back to first and second, and asks the host for a PRF only when the site did', () => {
    assert.deepEqual(valuesOf(['V1']), { first: 'V1' });
    assert.deepEqual(valuesOf(['V1', 'V2']), { first: 'V1', second: 'V2' });
    assert.equal(valuesOf([]), null);
    assert.equal(valuesOf(undefined), null);
    assert.deepEqual(createPrfParams(undefined), { prf: false });
    assert.deepEqual(createPrfParams({}), { prf: true, prf_salts: undefined });
    assert.deepEqual(createPrfParams({ salts: { first: 'S' } }), { prf: true, prf_salts: ['S'] });
    assert.deepEqual(saltList({ first: 'a', second: 'b' }), ['a', 'b']);
  });
});
