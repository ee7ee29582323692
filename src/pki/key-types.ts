import { createPublicKey, webcrypto } from 'node:crypto';

/** Public key types accepted for leaf certificates and CA keys. */
export type KeyType = 'P-256' | 'P-384' | 'Ed25519' | 'RSA';

/** Smallest RSA modulus accepted, in bits. */
export const MIN_RSA_MODULUS_BITS = 2048;
/** Largest RSA modulus accepted, in bits; bounds the cost of verifying a signature. */
export const MAX_RSA_MODULUS_BITS = 8192;

/** Outcome of {@link classifyPublicKey}. */
export type KeyClassification =
  | { readonly supported: true; readonly keyType: KeyType }
  | { readonly supported: false; readonly reason: string };

const NAMED_CURVES: Readonly<Record<string, KeyType>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
};

/**
 * Decides whether a DER SubjectPublicKeyInfo holds an accepted key type.
 *
 * @throws when `spki` is not a parsable SubjectPublicKeyInfo.
 */
export function classifyPublicKey(spki: Uint8Array): KeyClassification {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const keyType = details.namedCurve === undefined ? undefined : NAMED_CURVES[details.namedCurve];
      return keyType === undefined
        ? { supported: false, reason: 'EC curve not supported (use P-256 or P-384)' }
        : { supported: true, keyType };
    }
    case 'ed25519':
      return { supported: true, keyType: 'Ed25519' };
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      if (bits < MIN_RSA_MODULUS_BITS) {
        return { supported: false, reason: `RSA key shorter than ${MIN_RSA_MODULUS_BITS} bits` };
      }
      if (bits > MAX_RSA_MODULUS_BITS) {
        return { supported: false, reason: `RSA key longer than ${MAX_RSA_MODULUS_BITS} bits` };
      }
      return { supported: true, keyType: 'RSA' };
    }
    default:
      return { supported: false, reason: 'key type not supported (use P-256, P-384, Ed25519 or RSA)' };
  }
}

/** WebCrypto import parameters for a key of the given type. */
export function importAlgorithmFor(
  keyType: KeyType,
): webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams | webcrypto.Algorithm {
  switch (keyType) {
    case 'P-256':
    case 'P-384':
      return { name: 'ECDSA', namedCurve: keyType };
    case 'Ed25519':
      return { name: 'Ed25519' };
    case 'RSA':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  }
}

/** WebCrypto signature parameters used when a key of the given type signs a certificate. */
export function signingAlgorithmFor(
  keyType: KeyType,
): webcrypto.EcdsaParams | webcrypto.RsaHashedImportParams | webcrypto.Algorithm {
  switch (keyType) {
    case 'P-256':
      return { name: 'ECDSA', hash: 'SHA-256' };
    case 'P-384':
      return { name: 'ECDSA', hash: 'SHA-384' };
    case 'Ed25519':
      return { name: 'Ed25519' };
    case 'RSA':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  }
}

/** Imports a DER SubjectPublicKeyInfo of a known type as an extractable WebCrypto verification key. */
export function importPublicKey(spki: Uint8Array, keyType: KeyType): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('spki', spki, importAlgorithmFor(keyType), true, ['verify']);
}
