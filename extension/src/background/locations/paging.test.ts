import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { HostListPage, HostSlimCredential, ListParams } from '../host/api';
import { listMorePasskeys, listPasskeys, mergePage, type PagingHost, siteRpIds } from './paging';
import type { BrowserPasskey } from './storage';
import { englishI18n } from '../../shared/i18n-testing';

const hostRow = (rp_id: string, user_name: string): HostSlimCredential => ({
  credential_id: `kp-${rp_id}-${user_name}`,
  rp_id,
  user_name,
  store: 'vault',
  created_at: 1,
  last_used_at: null,
  sign_count: 0,
});
const recorded = (rpId: string, userName: string): BrowserPasskey => ({
  credentialId: `br-${rpId}-${userName}`,
  rpId,
  userName,
  aaguid: null,
  backupEligible: true,
  backupState: true,
  attachment: 'platform',
  transports: [],
  location: '',
  createdAt: 2,
});
const names = (rows: { rpId: string; userName: string; keyplace: boolean }[]) =>
  rows.map((r) => `${r.keyplace ? 'kp' : 'br'}:${r.rpId}/${r.userName}`);

// chrome.storage.local holding the recorded passkeys (no session area: no notices).
let stored: Record<string, unknown> = {};
beforeEach(() => {
  stored = {};
  const local = {
    get: async (key: string) => (key in stored ? { [key]: stored[key] } : {}),
    set: async (items: Record<string, unknown>) => void Object.assign(stored, items),
  };
  (globalThis as unknown as { chrome: unknown }).chrome = { storage: { local }, i18n: englishI18n };
});

/** A host holding `rows` in its order, answering pages of `pageSize` with numeric cursors. */
function fakeHost(rows: HostSlimCredential[], pageSize = 2): PagingHost & { asked: ListParams[] } {
  const asked: ListParams[] = [];
  return {
    asked,
    listPage: (async (params: ListParams) => {
      asked.push(params);
      if (params.rp_id) return { credentials: rows.filter((r) => r.rp_id === params.rp_id), next: null, total: 0 };
      const matching = params.query
        ? rows.filter((r) => r.rp_id.includes(params.query ?? '') || r.user_name.includes(params.query ?? ''))
        : rows;
      const start = params.after ? Number(params.after) : 0;
      const end = start + pageSize;
      return {
        credentials: matching.slice(start, end),
        next: end < matching.length ? String(end) : null,
        total: matching.length,
      };
    }) as PagingHost['listPage'],
  };
}

describe('mergePage', () => {
  const page: HostListPage<HostSlimCredential> = {
    credentials: [hostRow('b.example', 'ann'), hostRow('c.example', 'Bob')],
    next: 'cursor-2',
    total: 5,
  };

  it('puts recorded passkeys between host rows in (RP ID, name) order, names compared without ASCII case', () => {
    const { rows, next } = mergePage(
      page,
      [recorded('c.example', 'alice'), recorded('b.example', 'Zed'), recorded('a.example', 'x')],
      null,
    );
    assert.deepEqual(names(rows), [
      'br:a.example/x',
      'kp:b.example/ann',
      'br:b.example/Zed',
      'br:c.example/alice',
      'kp:c.example/Bob',
    ]);
    assert.deepEqual(next, { cursor: 'cursor-2', rpId: 'c.example', userName: 'Bob' });
  });

  it('leaves recorded passkeys after the last host row to the next page', () => {
    const { rows } = mergePage(page, [recorded('c.example', 'carol'), recorded('d.example', 'dan')], null);
    assert.deepEqual(names(rows), ['kp:b.example/ann', 'kp:c.example/Bob']);
  });

  it('takes only those after the previous page, and all that are left on the last page', () => {
    const last: HostListPage<HostSlimCredential> = { credentials: [hostRow('d.example', 'dan')], next: null, total: 5 };
    const { rows, next } = mergePage(
      last,
      [recorded('c.example', 'bob'), recorded('c.example', 'carol'), recorded('z.example', 'zoe')],
      {
        cursor: 'cursor-2',
        rpId: 'c.example',
        userName: 'Bob',
      },
    );
    assert.deepEqual(names(rows), ['br:c.example/carol', 'kp:d.example/dan', 'br:z.example/zoe']);
    assert.equal(next, null);
  });
});

describe('listPasskeys', () => {
  it("answers the site's own passkeys, the first page of all, and the total of both sources", async () => {
    stored.browserPasskeys = [recorded('login.bank.example', 'ada'), recorded('zoo.example', 'zed')];
    const host = fakeHost([hostRow('a.example', 'a'), hostRow('bank.example', 'ada'), hostRow('c.example', 'c')]);
    const list = await listPasskeys(host, { site: 'login.bank.example' });
    assert.deepEqual(names(list.current), ['kp:bank.example/ada', 'br:login.bank.example/ada']);
    assert.deepEqual(names(list.rows), ['kp:a.example/a', 'kp:bank.example/ada']);
    assert.deepEqual(list.next, { cursor: '2', rpId: 'bank.example', userName: 'ada' });
    assert.equal(list.total, 5);
    assert.equal(list.hostProblem, null);
    assert.equal(list.notice, null);

    const more = await listMorePasskeys(host, { after: list.next });
    assert.deepEqual(names(more.rows), ['kp:c.example/c', 'br:login.bank.example/ada', 'br:zoo.example/zed']);
    assert.equal(more.next, null);
  });

  it('counts only the recorded passkeys that match the query', async () => {
    stored.browserPasskeys = [recorded('shop.example', 'ada'), recorded('zoo.example', 'zed')];
    const host = fakeHost([hostRow('a.example', 'ada'), hostRow('c.example', 'c')]);
    const list = await listPasskeys(host, { query: ' ADA ' });
    assert.equal(host.asked[0].query, 'ada');
    assert.equal(list.total, 2);
    assert.deepEqual(names(list.rows), ['kp:a.example/ada', 'br:shop.example/ada']);
  });

  it('still lists the recorded passkeys, and says why, when the host does not answer', async () => {
    stored.browserPasskeys = [recorded('shop.example', 'ada')];
    const host: PagingHost = {
      listPage: (async () => {
        throw new Error('The Keyplace host is not installed.');
      }) as PagingHost['listPage'],
    };
    const list = await listPasskeys(host, { site: 'shop.example' });
    assert.equal(list.hostProblem, 'The Keyplace host is not installed.');
    assert.deepEqual(names(list.rows), ['br:shop.example/ada']);
    assert.deepEqual(names(list.current), ['br:shop.example/ada']);
    assert.equal(list.total, 1);
  });

  it('refuses a page token it did not make', async () => {
    const more = await listMorePasskeys(fakeHost([]), { after: { cursor: 3 } });
    assert.deepEqual(more, { rows: [], next: null, hostProblem: 'The popup asked for a page that does not exist.' });
  });
});

describe('siteRpIds', () => {
  it('looks up the host name and its parents, never a bare TLD or parts of an IP address', () => {
    assert.deepEqual(siteRpIds('Login.Bank.co.uk'), ['login.bank.co.uk', 'bank.co.uk', 'co.uk']);
    assert.deepEqual(siteRpIds('127.0.0.1'), ['127.0.0.1']);
    assert.equal(siteRpIds('a.b.c.d.e.f.g.h.example').length, 6);
  });
});
