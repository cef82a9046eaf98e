// A small relying party for the end-to-end tests, built on @simplewebauthn/server so that every
// registration and assertion Keyplace produces is judged by an independent WebAuthn library.
//
// It listens on 127.0.0.1 (port 0) and is reached as http://localhost:PORT, which browsers treat as a
// secure context. Users and credentials live in memory, one server per test file. With `tls` it serves HTTPS
// for several host names (mapped to the loopback by the browser) and their /.well-known/webauthn documents.

import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { decodeAttestationObject, isoCBOR, parseAuthenticatorData } from '@simplewebauthn/server/helpers';

const PAGE_SCRIPT = fileURLToPath(new URL('./rp-page.js', import.meta.url));
// The demo site (xtask/demo.mjs): a page a person uses, on the same relying party.
const DEMO_PAGE = fileURLToPath(new URL('./demo-page.html', import.meta.url));
const DEMO_SCRIPT = fileURLToPath(new URL('./demo-page.js', import.meta.url));
// The page-side library many real sites use, served as its own UMD bundle (global SimpleWebAuthnBrowser).
const BROWSER_LIBRARY = fileURLToPath(
  new URL('../../node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js', import.meta.url),
);

const b64u = {
  encode: (bytes) => Buffer.from(bytes).toString('base64url'),
  decode: (text) => new Uint8Array(Buffer.from(text, 'base64url')),
};

function pageHtml(title, withLibrary) {
  return `<!doctype html>
<html lang="en"><head><script>
// First in the page: records every message this window receives, as any page script could.
window.__messages = [];
addEventListener('message', (e) => window.__messages.push({ data: e.data, ports: e.ports.length }), true);
</script><meta charset="utf-8"><title>${title}</title>
${withLibrary ? '<script src="/simplewebauthn-browser.js"></script>' : ''}<script src="/rp-page.js"></script></head>
<body><h1>${title}</h1><p id="status">ready</p></body></html>`;
}

/** Only what a test asked for; otherwise the library decides (its default requires user verification). */
function uvRequirement(flow) {
  return flow.requireUserVerification === undefined ? {} : { requireUserVerification: flow.requireUserVerification };
}

function flagsOf(authData) {
  const { flags, counter } = parseAuthenticatorData(authData);
  return { flags: { up: flags.up, uv: flags.uv, be: flags.be, bs: flags.bs, at: flags.at, ed: flags.ed }, counter };
}

function decodeClientData(text) {
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

// Resolves "user" to the ids of that user's credentials, keeps explicit ids as they are.
function credentialList(spec, user) {
  if (spec === 'user') return (user?.credentials ?? []).map((c) => ({ id: c.id, transports: c.transports }));
  if (Array.isArray(spec)) return spec.map((c) => (typeof c === 'string' ? { id: c } : c));
  return undefined;
}

/**
 * `tls`: {key, cert, port, pageHost, wellKnown: {host: origins[]}} — HTTPS on `port` (443 when the browser must
 * fetch a /.well-known document, which has no port), pages at https://pageHost, and each host's document.
 */
export async function startRpServer({ rpName = 'Keyplace test RP', tls = null } = {}) {
  const users = new Map(); // username -> {name, id: Uint8Array, credentials: [...]}
  const credentials = new Map(); // credential id (b64u) -> {id, publicKey, counter, transports, user}
  // flowId -> {kind, challenge, rpID, userVerification, requireUserVerification, user}. requireUserVerification is
  // the library's own default (true) unless a test sends one: a relying party as most sites run it.
  const flows = new Map();
  let expectedOrigin = '';

  function userFor(name) {
    if (!users.has(name)) users.set(name, { name, id: randomBytes(16), credentials: [] });
    return users.get(name);
  }

  async function registerOptions(body, host) {
    const user = userFor(body.username ?? 'alice');
    const rpID = body.rpId ?? host;
    const userVerification = body.userVerification ?? 'preferred';
    const options = await generateRegistrationOptions({
      rpName,
      rpID,
      userName: user.name,
      userID: user.id,
      userDisplayName: body.displayName ?? user.name,
      attestationType: body.attestation ?? 'none',
      timeout: body.timeout ?? 120_000,
      excludeCredentials: credentialList(body.excludeCredentials, user),
      authenticatorSelection: {
        residentKey: body.residentKey ?? 'preferred',
        userVerification,
        ...(body.authenticatorAttachment ? { authenticatorAttachment: body.authenticatorAttachment } : {}),
      },
      extensions: body.extensions,
      supportedAlgorithmIDs: body.algorithms ?? [-7, -257],
    });
    // simplewebauthn only knows direct/enterprise/none; let tests send "indirect" too.
    if (body.attestation) options.attestation = body.attestation;
    // WebAuthn L3 hints, as a site sends them (e.g. login.gov: ["security-key"]).
    if (body.hints) options.hints = body.hints;
    const flowId = randomUUID();
    flows.set(flowId, {
      kind: 'create',
      challenge: options.challenge,
      rpID,
      userVerification,
      requireUserVerification: body.requireUserVerification,
      user,
    });
    return { flowId, options };
  }

  async function registerVerify(body) {
    const flow = takeFlow(body.flowId, 'create');
    const response = body.response;
    const verdict = {
      verified: false,
      clientData: decodeClientData(response?.response?.clientDataJSON),
      authenticatorAttachment: response?.authenticatorAttachment ?? null,
      clientExtensionResults: response?.clientExtensionResults ?? null,
    };
    try {
      const result = await verifyRegistrationResponse({
        response,
        expectedChallenge: flow.challenge,
        expectedOrigin,
        expectedRPID: flow.rpID,
        ...uvRequirement(flow),
        supportedAlgorithmIDs: [-7, -257, -8],
      });
      if (!result.verified) return { ...verdict, error: 'not verified' };
      const info = result.registrationInfo;
      const { authData } = Object.fromEntries(decodeAttestationObject(info.attestationObject));
      const record = {
        id: info.credential.id,
        publicKey: info.credential.publicKey,
        counter: info.credential.counter,
        transports: info.credential.transports,
        user: flow.user,
      };
      credentials.set(record.id, record);
      flow.user.credentials.push(record);
      return {
        ...verdict,
        verified: true,
        credentialId: info.credential.id,
        fmt: info.fmt,
        aaguid: info.aaguid,
        userVerified: info.userVerified,
        credentialDeviceType: info.credentialDeviceType,
        credentialBackedUp: info.credentialBackedUp,
        origin: info.origin,
        rpID: info.rpID,
        transports: info.credential.transports ?? null,
        ...flagsOf(authData),
      };
    } catch (err) {
      return { ...verdict, error: String(err?.message ?? err) };
    }
  }

  async function loginOptions(body, host) {
    const user = body.username ? users.get(body.username) : undefined;
    const rpID = body.rpId ?? host;
    const userVerification = body.userVerification ?? 'preferred';
    const options = await generateAuthenticationOptions({
      rpID,
      userVerification,
      timeout: body.timeout ?? 120_000,
      allowCredentials: credentialList(body.allowCredentials, user),
    });
    const flowId = randomUUID();
    flows.set(flowId, {
      kind: 'get',
      challenge: options.challenge,
      rpID,
      userVerification,
      requireUserVerification: body.requireUserVerification,
      user,
    });
    return { flowId, options };
  }

  async function loginVerify(body) {
    const flow = takeFlow(body.flowId, 'get');
    const response = body.response;
    const verdict = {
      verified: false,
      clientData: decodeClientData(response?.response?.clientDataJSON),
      authenticatorAttachment: response?.authenticatorAttachment ?? null,
      clientExtensionResults: response?.clientExtensionResults ?? null,
    };
    const record = credentials.get(response?.id);
    if (!record) return { ...verdict, error: `unknown credential ${response?.id}` };
    try {
      const result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: flow.challenge,
        expectedOrigin,
        expectedRPID: flow.rpID,
        credential: {
          id: record.id,
          publicKey: record.publicKey,
          counter: record.counter,
          transports: record.transports,
        },
        ...uvRequirement(flow),
      });
      if (!result.verified) return { ...verdict, error: 'not verified' };
      const info = result.authenticationInfo;
      record.counter = info.newCounter;
      const userHandle = response.response.userHandle ?? null;
      return {
        ...verdict,
        verified: true,
        credentialId: info.credentialID,
        newCounter: info.newCounter,
        userVerified: info.userVerified,
        credentialDeviceType: info.credentialDeviceType,
        credentialBackedUp: info.credentialBackedUp,
        origin: info.origin,
        rpID: info.rpID,
        username: record.user.name,
        userHandle,
        userHandleMatches: userHandle === null ? null : userHandle === b64u.encode(record.user.id),
        ...flagsOf(b64u.decode(response.response.authenticatorData)),
      };
    } catch (err) {
      return { ...verdict, error: String(err?.message ?? err) };
    }
  }

  /**
   * Test only: a passkey registered elsewhere (another manager, before it was exported) as this RP would have stored
   * it: its id, the user whose handle it carries, its P-256 public key (SEC1, uncompressed) as a COSE key, counter 0.
   */
  function seedCredential(body) {
    const point = b64u.decode(body.publicKey);
    if (point.length !== 65 || point[0] !== 4) throw Object.assign(new Error('publicKey: 65-byte SEC1 point'), { status: 400 });
    const user = userFor(body.username);
    user.id = b64u.decode(body.userHandle);
    const cose = new Map([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, point.slice(1, 33)],
      [-3, point.slice(33)],
    ]);
    const record = { id: body.credentialId, publicKey: isoCBOR.encode(cose), counter: 0, transports: [], user };
    credentials.set(record.id, record);
    user.credentials.push(record);
    return { seeded: record.id };
  }

  function takeFlow(flowId, kind) {
    const flow = flows.get(flowId);
    flows.delete(flowId);
    if (!flow || flow.kind !== kind) throw Object.assign(new Error(`no ${kind} flow ${flowId}`), { status: 400 });
    return flow;
  }

  const routes = {
    'POST /api/register/options': registerOptions,
    'POST /api/register/verify': registerVerify,
    'POST /api/login/options': loginOptions,
    'POST /api/login/verify': loginVerify,
    'POST /api/test/seed-credential': seedCredential,
  };

  const handle = async (req, res) => {
    const url = new URL(req.url, 'http://placeholder');
    // The hostname the page used (localhost or 127.0.0.1) is the default RP ID.
    const host = (req.headers.host ?? 'localhost').replace(/:\d+$/, '');
    const send = (status, type, body, headers = {}) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      res.end(body);
    };
    try {
      if (req.method === 'GET' && url.pathname === '/rp-page.js') {
        return send(200, 'text/javascript; charset=utf-8', await readFile(PAGE_SCRIPT));
      }
      if (req.method === 'GET' && url.pathname === '/demo') {
        return send(200, 'text/html; charset=utf-8', await readFile(DEMO_PAGE));
      }
      if (req.method === 'GET' && url.pathname === '/demo-page.js') {
        return send(200, 'text/javascript; charset=utf-8', await readFile(DEMO_SCRIPT));
      }
      if (req.method === 'GET' && url.pathname === '/simplewebauthn-browser.js') {
        return send(200, 'text/javascript; charset=utf-8', await readFile(BROWSER_LIBRARY));
      }
      if (req.method === 'GET' && url.pathname === '/.well-known/webauthn') {
        const origins = tls?.wellKnown?.[host];
        if (!origins) return send(404, 'text/plain', 'not found');
        return send(200, 'application/json', JSON.stringify({ origins }));
      }
      if (req.method === 'GET' && url.pathname === '/api/credentials') {
        const list = [...credentials.values()].map((c) => ({ id: c.id, counter: c.counter, username: c.user.name }));
        return send(200, 'application/json', JSON.stringify(list));
      }
      if (req.method === 'GET' && (url.pathname === '/' || url.pathname.endsWith('.html'))) {
        const title = url.searchParams.get('title') ?? 'Keyplace test RP';
        // ?policy=none: a page whose own Permissions-Policy forbids WebAuthn (same origin, no frame).
        const policy =
          url.searchParams.get('policy') === 'none'
            ? { 'permissions-policy': 'publickey-credentials-create=(), publickey-credentials-get=()' }
            : {};
        return send(200, 'text/html; charset=utf-8', pageHtml(title, url.searchParams.has('library')), policy);
      }
      const route = routes[`${req.method} ${url.pathname}`];
      if (!route) return send(404, 'text/plain', 'not found');
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      return send(200, 'application/json', JSON.stringify(await route(body, host)));
    } catch (err) {
      return send(
        err.status ?? 500,
        'application/json',
        JSON.stringify({ verified: false, error: String(err?.message ?? err) }),
      );
    }
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handle) : http.createServer(handle);

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(tls?.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const base = tls ? `https://${tls.pageHost}${port === 443 ? '' : `:${port}`}` : `http://localhost:${port}`;
  expectedOrigin = base;

  return {
    port,
    origin: expectedOrigin,
    url: (path = '/') => `${base}${path}`,
    ipUrl: (path = '/') => `http://127.0.0.1:${port}${path}`,
    users,
    credentials,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
