import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveHttps } from './targets.js';

/** A certificate that signs itself, made by openssl the way an operator would for a test box. */
export function selfSignedCert(dir: string, name: string): { certPem: string; keyPem: string; certFile: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`,
  ], { stdio: 'ignore' });
  return { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8'), certFile };
}

/** An HTTPS server on loopback with a self-signed certificate for `name`; answers `body`. */
export async function selfSignedHttpsServer(dir: string, name: string, body: string): Promise<{ port: number; certFile: string; close: () => Promise<void> }> {
  const cert = selfSignedCert(dir, name);
  return { ...(await serveHttps(cert, body)), certFile: cert.certFile };
}
