import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { originsFromDocument, prepareWithRelatedOrigins, relatedOriginsOf, relatedOriginsRpIdOf } from './related-origins';

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** A fetch that answers every URL with this document and counts the calls (unit test only). */
function serve(body: string, contentType = 'application/json', status = 200) {
  const calls: string[] = [];
  globalThis.fetch = (async (url: string | URL, init?: RequestInit) => {
    calls.push(String(url));
    assert.equal(init?.credentials, 'omit');
    assert.equal(init?.redirect, 'error');
    return new Response(body, { status, headers: { 'content-type': contentType } });
  }) as typeof fetch;
  return calls;
}

describe('originsFromDocument', () => {
  it('takes a list of strings and nothing else', () => {
    assert.deepEqual(originsFromDocument('{"origins":["https://a.example"]}'), ['https://a.example']);
    assert.deepEqual(originsFromDocument('{"origins":[]}'), []);
    assert.equal(originsFromDocument('{"origins":"https://a.example"}'), null);
    assert.equal(originsFromDocument('{"origins":["https://a.example", 5]}'), null);
    assert.equal(originsFromDocument('{}'), null);
    assert.equal(originsFromDocument('null'), null);
    assert.equal(originsFromDocument('not json'), null);
  });
});

describe('relatedOriginsOf', () => {
  it('fetches https://{rpId}/.well-known/webauthn once and caches it', async () => {
    const calls = serve('{"origins":["https://login.one.example"]}');
    assert.deepEqual(await relatedOriginsOf('cache.example', 1_000), ['https://login.one.example']);
    assert.deepEqual(await relatedOriginsOf('cache.example', 2_000), ['https://login.one.example']);
    assert.deepEqual(calls, ['https://cache.example/.well-known/webauthn']);
  });

  it('reads nothing from a wrong content type or an error status', async () => {
    serve('{"origins":["https://a.example"]}', 'text/plain');
    assert.equal(await relatedOriginsOf('text.example'), null);
    serve('{"origins":["https://a.example"]}', 'application/json', 404);
    assert.equal(await relatedOriginsOf('missing.example'), null);
    serve('{"origins":["https://a.example"]}', 'application/json; charset=utf-8');
    assert.deepEqual(await relatedOriginsOf('charset.example'), ['https://a.example']);
  });

  it('treats a network failure as no document', async () => {
    globalThis.fetch = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    assert.equal(await relatedOriginsOf('down.example'), null);
  });
});

describe('prepareWithRelatedOrigins', () => {
  const refusal = { name: 'SecurityError', message: 'not a suffix', relatedOriginsRpId: 'rp.prepare.example' };

  it('prepares again with the fetched origins when the core names an RP ID', async () => {
    serve('{"origins":["https://other.example"]}');
    const seen: (string[] | undefined)[] = [];
    const result = await prepareWithRelatedOrigins((related) => {
      seen.push(related);
      if (!related) throw refusal;
      return 'prepared';
    });
    assert.equal(result, 'prepared');
    assert.deepEqual(seen, [undefined, ['https://other.example']]);
  });

  it('throws the core error unchanged when there is no document or no RP ID', async () => {
    serve('', 'application/json', 500);
    await assert.rejects(
      prepareWithRelatedOrigins(() => {
        throw { ...refusal, relatedOriginsRpId: 'broken.prepare.example' };
      }),
      (err) => (err as { name: string }).name === 'SecurityError',
    );
    const typeError = { name: 'TypeError', message: 'bad' };
    await assert.rejects(
      prepareWithRelatedOrigins(() => {
        throw typeError;
      }),
      (err) => err === typeError,
    );
    assert.equal(relatedOriginsRpIdOf(typeError), null);
  });
});
