import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WindowBudget } from './window-budget';

describe('WindowBudget', () => {
  it('counts windows that are open or went to waste, and refuses past the limit', () => {
    const clock = { t: 0 };
    const budget = new WindowBudget(() => clock.t, 3, 1_000);
    const a = budget.take('https://loop.example');
    const b = budget.take('https://loop.example');
    a?.release(true); // replaced by b: wasted
    const c = budget.take('https://loop.example');
    assert.ok(a && b && c);
    assert.equal(budget.take('https://loop.example'), null, 'two open and one wasted');
    b?.release(true);
    c?.release(true);
    assert.equal(budget.take('https://loop.example'), null, 'three wasted');
    clock.t = 1_000;
    assert.ok(budget.take('https://loop.example'), 'the waste ages out');
  });

  it('never counts windows the person decided in, and keeps origins apart', () => {
    const budget = new WindowBudget(() => 0, 2, 1_000);
    for (let i = 0; i < 50; i++) {
      const ticket = budget.take('https://busy.example');
      assert.ok(ticket, `ceremony ${i}`);
      ticket.release(false);
      ticket.release(true); // a second release changes nothing
    }
    const x = budget.take('https://a.example');
    const y = budget.take('https://a.example');
    assert.ok(x && y);
    assert.equal(budget.take('https://a.example'), null);
    assert.ok(budget.take('https://b.example'));
  });
});
