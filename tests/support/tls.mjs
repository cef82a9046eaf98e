// A throwaway TLS certificate for HTTPS test servers, made by the openssl CLI (Node can use a certificate but
// not make one). The browsers are told to trust it for the test only: Chromium by the hash of its public key
// (--ignore-certificate-errors-spki-list, which makes the connection count as valid), Firefox through
// WebDriver's acceptInsecureCerts.

import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A P-256 self-signed certificate for these host names: {key, cert (PEM), spkiSha256 (base64)}. */
export async function makeTestCertificate(hosts) {
  const dir = await mkdtemp(path.join(tmpdir(), 'keyplace-tls-'));
  try {
    const keyPath = path.join(dir, 'key.pem');
    const certPath = path.join(dir, 'cert.pem');
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=Keyplace test',
      '-addext', `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(',')}`,
    ]);
    const [key, cert] = await Promise.all([readFile(keyPath), readFile(certPath)]);
    const spki = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
    return { key, cert, spkiSha256: createHash('sha256').update(spki).digest('base64') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** openssl is what makes the certificate; a reason to skip when it is missing. */
export async function opensslUnavailable() {
  try {
    await run('openssl', ['version']);
    return null;
  } catch {
    return 'the openssl command is not installed (apt-get install openssl)';
  }
}
