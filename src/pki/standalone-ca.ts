import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { PkiError } from './errors.js';
import { FileSigner } from './file-signer.js';
import { privateKeyToPem } from './key-file.js';
import { CLOCK_SKEW_MS, addYears, endEntityExtensions, randomSerialHex, rootCaExtensions } from './profiles.js';
import { x509 } from './x509.js';

/** A certificate and its PKCS#8 private key, both PEM. */
export interface PemCredential {
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * A throw-away CA unrelated to any trust domain, standing in for a customer's internal PKI (for
 * example to serve a private HTTPS host in the quickstart and in tests). Keys live in memory only.
 */
export interface StandaloneCa extends PemCredential {
  /**
   * Issues a TLS server certificate (EKU serverAuth) for the given names with a fresh ECDSA P-256
   * key. The subject CN is the first DNS name, else the first IP address.
   */
  issueServerCert(dnsNames: readonly string[], ipAddresses: readonly string[]): Promise<PemCredential>;
}

const ROOT_LIFETIME_YEARS = 2;
const SERVER_LIFETIME_YEARS = 1;
const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

/** Creates a {@link StandaloneCa} whose self-signed root has subject `CN=<commonName>`. */
export async function createStandaloneCa(commonName: string): Promise<StandaloneCa> {
  const keys = await generateKeyPair();
  const publicKey = await x509.PublicKey.create(keys.publicKey);
  const notBefore = new Date(Date.now() - CLOCK_SKEW_MS);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [commonName] }],
    keys,
    serialNumber: randomSerialHex(),
    notBefore,
    notAfter: addYears(notBefore, ROOT_LIFETIME_YEARS),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: await rootCaExtensions(publicKey),
  });
  const signer = new FileSigner(root, keys.privateKey, 'P-256');

  async function issueServerCert(
    dnsNames: readonly string[],
    ipAddresses: readonly string[],
  ): Promise<PemCredential> {
    const commonName = dnsNames[0] ?? ipAddresses[0];
    if (commonName === undefined) {
      throw new PkiError('ERR_LEAF_REQUEST_INVALID', 'a server certificate needs at least one DNS name or IP address');
    }
    const badIp = ipAddresses.find((address) => isIP(address) === 0);
    if (badIp !== undefined) {
      throw new PkiError('ERR_LEAF_REQUEST_INVALID', `invalid IP address: ${JSON.stringify(badIp)}`);
    }
    const serverKeys = await generateKeyPair();
    const serverPublicKey = await x509.PublicKey.create(serverKeys.publicKey);
    const issuedAt = new Date(Date.now() - CLOCK_SKEW_MS);
    const certificate = await signer.sign({
      subject: [{ CN: [commonName] }],
      publicKey: serverPublicKey,
      serialNumber: randomSerialHex(),
      notBefore: issuedAt,
      notAfter: new Date(Math.min(addYears(issuedAt, SERVER_LIFETIME_YEARS).getTime(), root.notAfter.getTime())),
      extensions: await endEntityExtensions({
        publicKey: serverPublicKey,
        issuer: root,
        subjectAltNames: [
          ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
          ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
        ],
        extendedKeyUsages: [x509.ExtendedKeyUsage.serverAuth],
      }),
    });
    return { certPem: `${certificate.toString('pem')}\n`, keyPem: privateKeyToPem(serverKeys.privateKey) };
  }

  return {
    certPem: `${root.toString('pem')}\n`,
    keyPem: privateKeyToPem(keys.privateKey),
    issueServerCert,
  };
}

function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}
