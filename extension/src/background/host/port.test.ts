import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeDisconnect } from './port';

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
});
