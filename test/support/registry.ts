import assert from 'node:assert/strict';
import type { JWK } from 'jose';
import { generateServiceAccountKey } from '../../src/pki/service-account.js';
import { RegistryError, type RegistryErrorCode } from '../../src/registry/identity-store.js';

/** An `assert.rejects` matcher: the error is a RegistryError with this code. */
export function rejectsWith(code: RegistryErrorCode) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof RegistryError, `expected a RegistryError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

/** A fresh service-account key as the registry stores it. */
export async function newKey(): Promise<{ keyId: string; publicJwk: JWK }> {
  const key = await generateServiceAccountKey();
  return { keyId: key.keyId, publicJwk: key.publicJwk };
}
