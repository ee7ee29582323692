import type { JWK } from 'jose';
import type { Role } from '../pki/spiffe.js';

/** A service-account public key registered for an identity. */
export interface RegisteredKey {
  readonly keyId: string;
  readonly publicJwk: JWK;
  readonly addedAt: string;
}

/** One identity as the server's registry knows it. Holds public keys only. */
export interface IdentityRecord {
  readonly name: string;
  readonly role: Role;
  readonly enabled: boolean;
  readonly keys: readonly RegisteredKey[];
  /** Source networks issuance and streams must come from; empty means any. */
  readonly cidrs: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A leaf certificate the server issued, and the key whose token bought it. */
export interface IssuedCertificate {
  /** Serial number, lower-case hexadecimal. */
  readonly serial: string;
  readonly identity: string;
  /** The service-account key id, or `oidc:<issuer>` for a federated identity. */
  readonly keyId: string;
  readonly notAfter: Date;
}

/** Stable codes of registry failures. */
export type RegistryErrorCode =
  | 'ERR_IDENTITY_EXISTS'
  | 'ERR_IDENTITY_UNKNOWN'
  | 'ERR_KEY_EXISTS'
  | 'ERR_KEY_UNKNOWN'
  | 'ERR_REGISTRY_CORRUPT'
  | 'ERR_REGISTRY_UNAVAILABLE'
  | 'ERR_REGISTRY_VERSION';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';

  constructor(
    readonly code: RegistryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The identity registry behind the server and the `identity` admin commands. Every read sees the
 * latest committed write, also one made by another process, so a running server needs no restart.
 * Implementations: SQLite (default, embedded) and PostgreSQL (shared by server replicas). A store
 * that cannot reach its database rejects with `ERR_REGISTRY_UNAVAILABLE`, and callers fail closed.
 */
export interface IdentityStore {
  list(): Promise<IdentityRecord[]>;
  get(name: string): Promise<IdentityRecord | undefined>;
  /** The identity that owns a key id, and the key. */
  findKey(keyId: string): Promise<{ record: IdentityRecord; key: RegisteredKey } | undefined>;
  create(
    name: string,
    role: Role,
    key: { keyId: string; publicJwk: JWK } | undefined,
    options?: { cidrs?: readonly string[]; now?: Date },
  ): Promise<IdentityRecord>;
  setEnabled(name: string, enabled: boolean, now?: Date): Promise<IdentityRecord>;
  addKey(name: string, key: { keyId: string; publicJwk: JWK }, now?: Date): Promise<IdentityRecord>;
  removeKey(name: string, keyId: string, now?: Date): Promise<IdentityRecord>;
  setCidrs(name: string, cidrs: readonly string[], now?: Date): Promise<IdentityRecord>;
  /** Remembers which key bought a certificate, so removing the key can end what it bought. */
  recordIssuance(issued: IssuedCertificate, now?: Date): Promise<void>;
  /** The record of a certificate this registry issued, if it has not expired and been pruned. */
  issuance(serial: string): Promise<IssuedCertificate | undefined>;
  close(): Promise<void>;
}
