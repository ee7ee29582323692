/**
 * Stable codes for every authentication failure.
 *
 * - `ERR_TOKEN_MALFORMED`: not a compact JWS carrying a JSON claims set.
 * - `ERR_TOKEN_TOO_LARGE`: the token exceeds the size cap.
 * - `ERR_TOKEN_ALG`: the algorithm is not allowed, or does not fit the key.
 * - `ERR_TOKEN_HEADER`: a forbidden header (`jwk`, `jku`, `x5u`, `x5c`, `crit`) is present, or `kid` is missing.
 * - `ERR_TOKEN_KID_UNKNOWN`: no key is registered under `kid`.
 * - `ERR_TOKEN_SIGNATURE`: the signature does not verify with the registered key.
 * - `ERR_TOKEN_EXPIRED`: `exp` has passed.
 * - `ERR_TOKEN_NOT_YET_VALID`: `nbf` or `iat` lies in the future.
 * - `ERR_TOKEN_LIFETIME`: `exp` or `iat` is missing or invalid, or the token lives too long.
 * - `ERR_TOKEN_AUDIENCE`: `aud` is not exactly this server's audience.
 * - `ERR_TOKEN_ISSUER`: `iss` or `sub` is not the identity that owns the key.
 * - `ERR_TOKEN_JTI`: `jti` is missing.
 * - `ERR_TOKEN_REPLAY`: the token was already used.
 * - `ERR_TOKEN_CNF`: `cnf.jkt` is missing or does not name the CSR's key.
 * - `ERR_IDENTITY_DISABLED`: the identity that owns the key is disabled.
 * - `ERR_PEER_CERT`: a peer certificate does not carry a valid identity for this trust domain.
 * - `ERR_OIDC_UNMAPPED`: a workload token's claim maps to no client identity.
 * - `ERR_OIDC_JWKS`: a trusted issuer's keys cannot be fetched or read.
 */
export type AuthErrorCode =
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_TOKEN_TOO_LARGE'
  | 'ERR_TOKEN_ALG'
  | 'ERR_TOKEN_HEADER'
  | 'ERR_TOKEN_KID_UNKNOWN'
  | 'ERR_TOKEN_SIGNATURE'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_NOT_YET_VALID'
  | 'ERR_TOKEN_LIFETIME'
  | 'ERR_TOKEN_AUDIENCE'
  | 'ERR_TOKEN_ISSUER'
  | 'ERR_TOKEN_JTI'
  | 'ERR_TOKEN_REPLAY'
  | 'ERR_TOKEN_CNF'
  | 'ERR_IDENTITY_DISABLED'
  | 'ERR_PEER_CERT'
  | 'ERR_OIDC_UNMAPPED'
  | 'ERR_OIDC_JWKS';

/**
 * Error raised when a token or a peer certificate is refused. `message` is safe to return to the
 * caller and never holds key material; the underlying failure, if any, is kept in `cause` for the log.
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
