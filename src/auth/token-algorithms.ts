import type { JWK } from 'jose';

/** JWS algorithms accepted on issuance tokens. `none` and every HMAC algorithm are refused. */
export const ALLOWED_TOKEN_ALGORITHMS = Object.freeze(['ES256', 'ES384', 'EdDSA', 'RS256'] as const);

/** Smallest RSA modulus accepted for RS256 keys, in bits. */
export const MIN_RSA_TOKEN_KEY_BITS = 2048;

/** One of {@link ALLOWED_TOKEN_ALGORITHMS}. */
export type TokenAlgorithm = (typeof ALLOWED_TOKEN_ALGORITHMS)[number];

/** Narrows a header `alg` to an allowed {@link TokenAlgorithm}. */
export function isAllowedTokenAlgorithm(alg: unknown): alg is TokenAlgorithm {
  return typeof alg === 'string' && (ALLOWED_TOKEN_ALGORITHMS as readonly string[]).includes(alg);
}

/**
 * True when a public JWK can verify `alg`: the key type and curve must fit, an RSA modulus must
 * have at least {@link MIN_RSA_TOKEN_KEY_BITS} bits, and a JWK that names its own `alg` must name
 * this one.
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
      return (
        jwk.kty === 'RSA' &&
        typeof jwk.n === 'string' &&
        Buffer.from(jwk.n, 'base64url').length * 8 >= MIN_RSA_TOKEN_KEY_BITS
      );
  }
}
