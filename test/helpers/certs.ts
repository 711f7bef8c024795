/**
 * Throw-away certificate authorities for HTTPS upstream tests, made with the openssl CLI
 * (.ci/run installs it when missing): each CA signs one server certificate for 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  /** Path of the CA certificate (PEM), for `upstreamCa`. */
  caFile: string;
  /** The CA certificate (PEM). */
  ca: Buffer;
  /** Key and certificate (PEM) of a server `127.0.0.1` signed by this CA. */
  key: Buffer;
  cert: Buffer;
}

export interface TestCas {
  /** One CA per name given, with its own server certificate. */
  cas: Record<string, TestCa>;
  /** Removes the files. */
  remove(): void;
}

/** Creates one CA (EC P-256, valid 2 days) and its server certificate per name. */
export function createTestCas(...names: string[]): TestCas {
  const dir = mkdtempSync(join(tmpdir(), 'cassia-ca-'));
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  const cas: Record<string, TestCa> = {};
  for (const name of names) {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl('req', '-x509', ...ec, '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`, '-days', '2', '-subj', `/CN=Test AC CA ${name}`);
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=127.0.0.1');
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${name}-ca.pem`, '-CAkey', `${name}-ca.key`, '-CAcreateserial',
      '-out', `${name}.pem`, '-days', '2', '-extfile', 'san.ext');
    cas[name] = {
      caFile: join(dir, `${name}-ca.pem`),
      ca: readFileSync(join(dir, `${name}-ca.pem`)),
      key: readFileSync(join(dir, `${name}.key`)),
      cert: readFileSync(join(dir, `${name}.pem`)),
    };
  }
  return { cas, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
