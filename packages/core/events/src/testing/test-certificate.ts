import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A self-signed certificate (P-256, valid 2 days) for `hostnames`, made with the `openssl` command,
 * for `https` receivers in tests; the worker trusts it through `extraCaPem`.
 *
 * @throws {Error} when `openssl` is missing or fails
 */
export function createTestCertificate(hostnames: readonly string[]): { certPem: string; keyPem: string } {
  const folder = mkdtempSync(join(tmpdir(), 'payapi-test-cert-'));
  try {
    const [keyPath, certPath] = [join(folder, 'key.pem'), join(folder, 'cert.pem')];
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', `/CN=${hostnames[0] ?? 'localhost'}`, '-addext', `subjectAltName=${hostnames.map((name) => `DNS:${name}`).join(',')}`,
      '-keyout', keyPath, '-out', certPath,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
  } catch (error) {
    throw new Error(`cannot make a test certificate with openssl: ${(error as Error).message}`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
