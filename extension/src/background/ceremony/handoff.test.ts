import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Handoff, Handoffs, REPORT_GRACE_MS } from './handoff';

const create: Handoff = { kind: 'create', rpId: 'shop.example', userName: 'ada' };
const get: Handoff = { kind: 'get', rpId: 'bank.example', allowCredentialIds: ['abc'] };

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('Handoffs', () => {
  it('gives a request back once, for the key it was handed over under', () => {
    const handoffs = new Handoffs(clock().now);
    handoffs.add('1:0:a', create, 60_000);
    assert.equal(handoffs.take('1:0:b'), null);
    assert.deepEqual(handoffs.take('1:0:a'), create);
    assert.equal(handoffs.take('1:0:a'), null);
  });

  it('keeps a registration and a sign-in until their timeout plus the grace period, not a moment longer', () => {
    const c = clock();
    const handoffs = new Handoffs(c.now);
    handoffs.add('create', create, 30_000);
    handoffs.add('get', get, 30_000);
    c.t += 30_000 + REPORT_GRACE_MS;
    assert.deepEqual(handoffs.take('create'), create);
    c.t += 1;
    assert.equal(handoffs.take('get'), null);
  });

  it('drops expired requests when another is handed over', () => {
    const c = clock();
    const handoffs = new Handoffs(c.now);
    handoffs.add('old', create, 1_000);
    handoffs.add('recent', get, 600_000);
    c.t += 1_000 + REPORT_GRACE_MS + 1;
    handoffs.add('new', get, 1_000);
    assert.equal(handoffs.size, 2);
    assert.deepEqual(handoffs.take('recent'), get);
  });

  it('lets a later hand-over under the same key replace the earlier one', () => {
    const handoffs = new Handoffs(clock().now);
    handoffs.add('k', create, 1_000);
    handoffs.add('k', get, 1_000);
    assert.deepEqual(handoffs.take('k'), get);
  });
});
