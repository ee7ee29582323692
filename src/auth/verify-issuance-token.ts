import { decodeProtectedHeader, errors, importJWK, jwtVerify } from 'jose';
import type { JWK, JWTPayload } from 'jose';
import { AuthError } from './errors.js';
import { MAX_ISSUANCE_TOKEN_LIFETIME_S } from './issuance-token.js';
import type { ReplayCache } from './replay-cache.js';
import { isAllowedTokenAlgorithm, keyFitsAlgorithm } from './token-algorithms.js';

/** Largest token accepted, in bytes. */
export const MAX_TOKEN_BYTES = 8 * 1024;
/** Default allowance for clock differences between party and server, in seconds. */
export const DEFAULT_CLOCK_SKEW_S = 30;
/** Longest `jti` accepted, in characters; bounds the memory a replay cache entry takes. */
export const MAX_JTI_LENGTH = 128;

const JWS_COMPACT_PARTS = 3;
const FORBIDDEN_HEADERS = Object.freeze(['jwk', 'jku', 'x5u', 'x5c', 'crit']);

/** A registered service-account public key, as the server knows it. */
export interface RegisteredKey {
  /** The identity that owns the key. */
  readonly identity: string;
  readonly publicJwk: JWK;
  /** Whether the owning identity is enabled. */
  readonly enabled: boolean;
}

/** Finds a registered key by key id; `undefined` when none is registered under it. */
export type KeyLookup = (kid: string) => RegisteredKey | undefined | Promise<RegisteredKey | undefined>;

/** Options of {@link verifyIssuanceToken}. */
export interface VerifyIssuanceTokenOptions {
  /** This server's audience; `aud` must equal it exactly. */
  readonly audience: string;
  /** RFC 7638 thumbprint of the CSR's public key; `cnf.jkt` must equal it. */
  readonly csrThumbprint: string;
  readonly lookupKey: KeyLookup;
  readonly replay: ReplayCache;
  readonly now?: Date;
  readonly clockSkewS?: number;
}

/** What an accepted issuance token proves. */
export interface VerifiedIssuanceToken {
  readonly identity: string;
  readonly keyId: string;
  readonly jti: string;
  readonly expiresAt: Date;
}

/**
 * Verifies a service-account issuance token presented with a CSR and records its `jti` so it
 * cannot be used again.
 *
 * Checks, in order: size; compact JWS syntax; `alg` allowed; no `jwk`, `jku`, `x5u`, `x5c` or
 * `crit` header; `kid` registered; `alg` fits the registered key; identity enabled; signature;
 * `aud`, `iss` and `sub`; `nbf`, `iat` and `exp` against `now` with the clock skew allowance;
 * lifetime at most 600 s; `jti` present; `cnf.jkt` equal to the CSR thumbprint; not replayed.
 *
 * @throws {@link AuthError} with the code of the first check that fails.
 */
export async function verifyIssuanceToken(
  token: string,
  options: VerifyIssuanceTokenOptions,
): Promise<VerifiedIssuanceToken> {
  if (typeof token !== 'string') {
    throw new AuthError('ERR_TOKEN_MALFORMED', 'token is not a compact JWS');
  }
  if (token.length > MAX_TOKEN_BYTES || Buffer.byteLength(token, 'utf8') > MAX_TOKEN_BYTES) {
    throw new AuthError('ERR_TOKEN_TOO_LARGE', `token exceeds ${MAX_TOKEN_BYTES} bytes`);
  }
  if (token.split('.').length !== JWS_COMPACT_PARTS) {
    throw new AuthError('ERR_TOKEN_MALFORMED', 'token is not a compact JWS');
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch (cause) {
    throw new AuthError('ERR_TOKEN_MALFORMED', 'token header cannot be decoded', { cause });
  }

  const { alg, kid } = header;
  if (!isAllowedTokenAlgorithm(alg)) {
    throw new AuthError('ERR_TOKEN_ALG', 'token algorithm is not allowed');
  }
  const forbidden = FORBIDDEN_HEADERS.filter((name) => Object.hasOwn(header, name));
  if (forbidden.length > 0) {
    throw new AuthError('ERR_TOKEN_HEADER', `token header must not contain ${forbidden.join(', ')}`);
  }
  if (typeof kid !== 'string' || kid.length === 0) {
    throw new AuthError('ERR_TOKEN_HEADER', 'token header has no key id');
  }

  const registered = await options.lookupKey(kid);
  if (registered === undefined) {
    throw new AuthError('ERR_TOKEN_KID_UNKNOWN', 'token key id is not registered');
  }
  if (!keyFitsAlgorithm(registered.publicJwk, alg)) {
    throw new AuthError('ERR_TOKEN_ALG', 'token algorithm does not match the registered key');
  }
  if (!registered.enabled) {
    throw new AuthError('ERR_IDENTITY_DISABLED', 'identity is disabled');
  }
  const { identity } = registered;
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK(registered.publicJwk, alg);
  } catch (cause) {
    throw new AuthError('ERR_TOKEN_ALG', 'registered key cannot verify this token algorithm', { cause });
  }

  const now = options.now ?? new Date();
  const skewS = options.clockSkewS ?? DEFAULT_CLOCK_SKEW_S;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [alg],
      audience: options.audience,
      issuer: identity,
      subject: identity,
      currentDate: now,
      clockTolerance: skewS,
    }));
  } catch (error) {
    throw fromJoseError(error);
  }

  if (payload.aud !== options.audience) {
    throw new AuthError('ERR_TOKEN_AUDIENCE', 'token audience is not this server');
  }
  const { exp, iat, jti } = payload;
  if (typeof exp !== 'number' || typeof iat !== 'number') {
    throw new AuthError('ERR_TOKEN_LIFETIME', 'token must carry "exp" and "iat"');
  }
  if (iat > now.getTime() / 1000 + skewS) {
    throw new AuthError('ERR_TOKEN_NOT_YET_VALID', 'token is issued in the future');
  }
  if (exp <= iat || exp - iat > MAX_ISSUANCE_TOKEN_LIFETIME_S) {
    throw new AuthError('ERR_TOKEN_LIFETIME', `token lifetime must be at most ${MAX_ISSUANCE_TOKEN_LIFETIME_S} seconds`);
  }
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw new AuthError('ERR_TOKEN_JTI', `token must carry a "jti" of 1 to ${MAX_JTI_LENGTH} characters`);
  }
  const jkt = confirmationThumbprint(payload);
  if (jkt === undefined) {
    throw new AuthError('ERR_TOKEN_CNF', 'token has no "cnf.jkt" key binding');
  }
  if (jkt !== options.csrThumbprint) {
    throw new AuthError('ERR_TOKEN_CNF', 'token is bound to a different key than the CSR');
  }
  if (!(await options.replay.claim(jti, new Date((exp + skewS) * 1000), now))) {
    throw new AuthError('ERR_TOKEN_REPLAY', 'token has already been used');
  }
  return { identity, keyId: kid, jti, expiresAt: new Date(exp * 1000) };
}

function confirmationThumbprint(payload: JWTPayload): string | undefined {
  const { cnf } = payload;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) {
    return undefined;
  }
  const { jkt } = cnf as { jkt?: unknown };
  return typeof jkt === 'string' && jkt.length > 0 ? jkt : undefined;
}

function fromJoseError(error: unknown): unknown {
  if (error instanceof errors.JWTExpired) {
    return new AuthError('ERR_TOKEN_EXPIRED', 'token has expired', { cause: error });
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'aud':
        return new AuthError('ERR_TOKEN_AUDIENCE', 'token audience is not this server', { cause: error });
      case 'iss':
      case 'sub':
        return new AuthError('ERR_TOKEN_ISSUER', `token "${error.claim}" is not the identity of its key`, {
          cause: error,
        });
      case 'nbf':
        return error.reason === 'check_failed'
          ? new AuthError('ERR_TOKEN_NOT_YET_VALID', 'token is not valid yet', { cause: error })
          : new AuthError('ERR_TOKEN_MALFORMED', 'token "nbf" is not a number', { cause: error });
      case 'exp':
      case 'iat':
        return new AuthError('ERR_TOKEN_LIFETIME', `token "${error.claim}" is not a number`, { cause: error });
      default:
        return new AuthError('ERR_TOKEN_MALFORMED', 'token claims are invalid', { cause: error });
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new AuthError('ERR_TOKEN_SIGNATURE', 'token signature does not verify', { cause: error });
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new AuthError('ERR_TOKEN_ALG', 'token algorithm is not allowed', { cause: error });
  }
  if (error instanceof errors.JOSEError) {
    return new AuthError('ERR_TOKEN_MALFORMED', 'token cannot be parsed', { cause: error });
  }
  return error;
}
