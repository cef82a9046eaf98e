import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { englishI18n } from '../../shared/i18n-testing';
import { describeDisconnect, describeDisconnectShown, HostPort } from './port';

describe('describeDisconnect', () => {
  it('names a missing host in both browsers’ words', () => {
    for (const raw of ['Specified native messaging host not found.', 'No such native application com.keyplace.host']) {
      assert.match(describeDisconnect(raw), /not installed for this browser/, raw);
    }
  });
  it('names a refused extension', () => {
    assert.match(
      describeDisconnect('Access to the specified native messaging host is forbidden.'),
      /refused this extension/,
    );
  });
  it('passes anything else through', () => {
    assert.equal(describeDisconnect('the host exited'), 'The Keyplace host stopped: the host exited');
  });

  it('says the same to the person, from the catalogue', () => {
    for (const raw of ['Specified native messaging host not found.', 'forbidden', 'the host exited']) {
      assert.equal(describeDisconnectShown(raw), describeDisconnect(raw), raw);
    }

  });
});

describe('HostPort deadlines', () => {
  // A fake native port that takes requests and never answers, like a host that hangs.
  const sent: unknown[] = [];
  (globalThis as unknown as { chrome: unknown }).chrome = {
    i18n: englishI18n,
    runtime: {
      connectNative: () => ({
        postMessage: (message: unknown) => void sent.push(message),
        onMessage: { addListener: () => undefined },
        onDisconnect: { addListener: () => undefined },
      }),
    },
  };

  it('rejects a request the host does not answer in time with host_timeout', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const port = new HostPort();
    const pending = port.request('sign', {}, 5_000);
    assert.equal(sent.length, 1);
    let settled = false;
    pending.catch(() => undefined).finally(() => (settled = true));
    t.mock.timers.tick(4_999);
    await Promise.resolve();
    assert.equal(settled, false, 'still waiting before the deadline');
    t.mock.timers.tick(1);
    await assert.rejects(pending, (err: { code: string; message: string; shown: string }) => {
      assert.equal(err.code, 'host_timeout');
      assert.match(err.message, /did not answer within 5 seconds/);
      assert.equal(err.shown, 'The Keyplace host did not answer within 5 seconds.', 'the person sees the catalogue words');
      return true;
    });
  });
});
