import type { webcrypto } from 'node:crypto';
import { PkiError } from './errors.js';
import { classifyPublicKey, importPublicKey } from './key-types.js';
import type { KeyType } from './key-types.js';
import { jwkThumbprint } from './leaf-key.js';
import { x509 } from './x509.js';

/** Largest CSR accepted, in bytes. */
export const MAX_CSR_BYTES = 8 * 1024;

/** The parts of a CSR the server uses: only its proven public key. */
export interface VerifiedCsr {
  readonly publicKey: webcrypto.CryptoKey;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of `publicKey`. */
  readonly thumbprint: string;
  readonly keyType: KeyType;
}

/**
 * Parses a DER PKCS#10 request, accepts only P-256, P-384, Ed25519 and RSA (2048 to 8192 bits)
 * keys, and checks the self-signature (proof of possession). Subject and requested extensions are
 * ignored.
 *
 * @throws {@link PkiError} `ERR_CSR_TOO_LARGE`, `ERR_CSR_INVALID`, `ERR_CSR_KEY_UNSUPPORTED` or
 *   `ERR_CSR_SIGNATURE`.
 */
export async function parseAndVerifyCsr(der: Uint8Array): Promise<VerifiedCsr> {
  if (der.byteLength > MAX_CSR_BYTES) {
    throw new PkiError('ERR_CSR_TOO_LARGE', `CSR exceeds ${MAX_CSR_BYTES} bytes`);
  }
  let csr: x509.Pkcs10CertificateRequest;
  let spki: Uint8Array;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
    spki = new Uint8Array(csr.publicKey.rawData);
  } catch (cause) {
    throw new PkiError('ERR_CSR_INVALID', 'CSR is not a DER PKCS#10 request', { cause });
  }

  let classification: ReturnType<typeof classifyPublicKey>;
  try {
    classification = classifyPublicKey(spki);
  } catch (cause) {
    throw new PkiError('ERR_CSR_KEY_UNSUPPORTED', 'CSR public key cannot be read', { cause });
  }
  if (!classification.supported) {
    throw new PkiError('ERR_CSR_KEY_UNSUPPORTED', classification.reason);
  }

  const signatureValid = await csr.verify().catch(() => false);
  if (!signatureValid) {
    throw new PkiError('ERR_CSR_SIGNATURE', 'CSR signature does not verify with its public key');
  }

  const publicKey = await importPublicKey(spki, classification.keyType);
  return { publicKey, thumbprint: await jwkThumbprint(publicKey), keyType: classification.keyType };
}
