import { webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import type { JWK } from 'jose';
import { privateKeyToPem } from './key-file.js';
import { x509 } from './x509.js';

/**
 * A party's short-lived TLS key. It never leaves the process: a restart makes a new one.
 */
export interface LeafKey {
  /** PKCS#8 PEM of the private key, for `node:tls`. Keep it in memory only. */
  readonly privateKeyPem: string;
  readonly keyPair: webcrypto.CryptoKeyPair;
  readonly publicJwk: JWK;
}

const LEAF_KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const CSR_SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

/** Generates a fresh ECDSA P-256 leaf key. */
export async function generateLeafKey(): Promise<LeafKey> {
  const keyPair = await webcrypto.subtle.generateKey(LEAF_KEY_ALGORITHM, true, ['sign', 'verify']);
  return {
    privateKeyPem: privateKeyToPem(keyPair.privateKey),
    keyPair,
    publicJwk: await exportJWK(keyPair.publicKey),
  };
}

/**
 * Creates a DER PKCS#10 request signed by `key`. The server reads only its public key; the subject
 * is informational.
 */
export async function createCsr(key: LeafKey, commonName: string): Promise<Uint8Array> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys: key.keyPair,
    signingAlgorithm: CSR_SIGNING_ALGORITHM,
  });
  return new Uint8Array(csr.rawData);
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key or JWK. */
export async function jwkThumbprint(publicKeyOrJwk: webcrypto.CryptoKey | JWK): Promise<string> {
  const jwk = isJwk(publicKeyOrJwk) ? publicKeyOrJwk : await exportJWK(publicKeyOrJwk);
  return calculateJwkThumbprint(jwk, 'sha256');
}

function isJwk(value: webcrypto.CryptoKey | JWK): value is JWK {
  return typeof (value as JWK).kty === 'string';
}
