import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CeremonyTimer, metrics } from './timing';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('CeremonyTimer', () => {
  it('counts host calls that overlap once, core calls as they run, and keeps `this`', async (t) => {
    let clock = 1_000;
    t.mock.method(performance, 'now', () => clock);
    const first = deferred<string>();
    const second = deferred<string>();
    class FakeHost {
      #calls = 0;
      list() {
        this.#calls++;
        return first.promise;
      }
      hello() {
        this.#calls++;
        return second.promise;
      }
      get calls() {
        return this.#calls;
      }
    }
    const core = {
      build: (n: number) => {
        clock += 3;
        return n * 2;
      },
      broken: () => {
        clock += 1;
        throw { name: 'TypeError', message: 'bad' };
      },
    };
    const timer = new CeremonyTimer(new FakeHost(), core);

    const list = timer.host.list();
    clock += 5;
    const hello = timer.host.hello(); // in flight together with list for 5 ms
    clock += 5;
    first.resolve('list');
    assert.equal(await list, 'list');
    clock += 10;
    second.resolve('hello');
    assert.equal(await hello, 'hello');
    assert.equal(timer.host.calls, 2);

    assert.equal(timer.core.build(21), 42);
    assert.throws(() => timer.core.broken(), { name: 'TypeError' });

    timer.addWaiting(100);
    timer.windowRequested();
    timer.windowReady();
    clock += 200;
    const before = metrics.ceremonies.length;
    timer.record('get', 'vault');
    const recorded = metrics.ceremonies.at(-1);
    assert.equal(metrics.ceremonies.length, before + 1);
    assert.ok(recorded);
    assert.equal(recorded.kind, 'get');
    assert.equal(recorded.store, 'vault');
    assert.equal(recorded.hostMs, 20);
    assert.equal(recorded.coreMs, 4);
    assert.equal(recorded.waitingMs, 100);
    assert.equal(recorded.totalMs, 224);
    assert.equal(recorded.overheadMs, 104);
    assert.ok(recorded.windowRequestedAt !== null && recorded.windowReadyAt !== null);
    assert.equal(metrics.firstWindowRequestAt, recorded.windowRequestedAt);
  });
});
