import type { JWK } from 'jose';

/** JWS algorithms accepted on issuance tokens. `none` and every HMAC algorithm are refused. */
export const ALLOWED_TOKEN_ALGORITHMS = Object.freeze(['ES256', 'ES384', 'EdDSA', 'RS256'] as const);

/** One of {@link ALLOWED_TOKEN_ALGORITHMS}. */
export type TokenAlgorithm = (typeof ALLOWED_TOKEN_ALGORITHMS)[number];

/** Narrows a header `alg` to an allowed {@link TokenAlgorithm}. */
export function isAllowedTokenAlgorithm(alg: unknown): alg is TokenAlgorithm {
  return typeof alg === 'string' && (ALLOWED_TOKEN_ALGORITHMS as readonly string[]).includes(alg);
}

/**
 * True when a public JWK can verify `alg`: the key type and curve must fit, and a JWK that names
 * its own `alg` must name this one.
 */
export function keyFitsAlgorithm(jwk: JWK, alg: TokenAlgorithm): boolean {
  if (jwk.alg !== undefined && jwk.alg !== alg) {
    return false;
  }
  switch (alg) {
    case 'ES256':
      return jwk.kty === 'EC' && jwk.crv === 'P-256';
    case 'ES384':
      return jwk.kty === 'EC' && jwk.crv === 'P-384';
    case 'EdDSA':
      return jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
    case 'RS256':
      return jwk.kty === 'RSA';
  }
}
