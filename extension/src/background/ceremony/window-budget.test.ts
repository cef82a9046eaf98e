import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WindowBudget } from './window-budget';

describe('WindowBudget', () => {
  it('lets an origin open a few windows, then none until the oldest ages out', () => {
    const clock = { t: 0 };
    const budget = new WindowBudget(() => clock.t, 3, 1_000);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => budget.take('https://loop.example')),
      [true, true, true, false],
    );
    clock.t = 999;
    assert.equal(budget.take('https://loop.example'), false);
    clock.t = 1_000;
    assert.equal(budget.take('https://loop.example'), true);
  });

  it('keeps each origin’s budget apart, and refused attempts do not count', () => {
    const clock = { t: 0 };
    const budget = new WindowBudget(() => clock.t, 1, 1_000);
    assert.equal(budget.take('https://a.example'), true);
    for (let i = 0; i < 50; i++) assert.equal(budget.take('https://a.example'), false);
    assert.equal(budget.take('https://b.example'), true);
    clock.t = 1_000;
    assert.equal(budget.take('https://a.example'), true);
  });
});
