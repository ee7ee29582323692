import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';

/** JWS algorithm of service-account keys. */
export const SERVICE_ACCOUNT_ALG = 'ES256';

/**
 * A party's long-lived credential key, used only to sign issuance tokens. The server stores the
 * public half; the private half goes into the party's credential file.
 */
export interface ServiceAccountKey {
  /** RFC 7638 thumbprint of the public key; also the `kid` of every token it signs. */
  readonly keyId: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
  readonly alg: typeof SERVICE_ACCOUNT_ALG;
}

/** Generates a new ECDSA P-256 service-account key. */
export async function generateServiceAccountKey(): Promise<ServiceAccountKey> {
  const { publicKey, privateKey } = await generateKeyPair(SERVICE_ACCOUNT_ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const keyId = await calculateJwkThumbprint(publicJwk, 'sha256');
  const annotations = { kid: keyId, alg: SERVICE_ACCOUNT_ALG, use: 'sig' };
  return {
    keyId,
    privateJwk: { ...(await exportJWK(privateKey)), ...annotations },
    publicJwk: { ...publicJwk, ...annotations },
    alg: SERVICE_ACCOUNT_ALG,
  };
}
