import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { JSONWebKeySet, JWTPayload, CryptoKey } from 'jose';
import { AuthError, type AuthErrorCode } from '../../../src/auth/errors.js';
import { WorkloadTokenVerifier, type TrustedIssuer } from '../../../src/auth/workload-token.js';

const ISSUER = 'https://oidc.example.test/cluster';
const AUDIENCE = 'causeway';
const SUBJECT = 'system:serviceaccount:sourcegraph:frontend';
const IDENTITY = 'frontend@clients.acme.causeway';
const NOW = new Date('2030-06-01T12:00:00Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);

let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let verifier: WorkloadTokenVerifier;

async function token(claims: JWTPayload = {}, header: Record<string, unknown> = {}, key: CryptoKey = signingKey): Promise<string> {
  return new SignJWT({ sub: SUBJECT, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1', ...header })
    .setIssuer((claims.iss as string) ?? ISSUER)
    .setAudience((claims.aud as string) ?? AUDIENCE)
    .setIssuedAt((claims.iat as number) ?? NOW_S - 60)
    .setExpirationTime((claims.exp as number) ?? NOW_S + 3600)
    .sign(key);
}

function unsigned(payload: JWTPayload): string {
  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${b64({ alg: 'none' })}.${b64(payload)}.`;
}

describe('WorkloadTokenVerifier', () => {
  before(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    signingKey = pair.privateKey;
    strangerKey = (await generateKeyPair('RS256')).privateKey;
    const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
    const trusted: TrustedIssuer = { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: jwks }, claim: 'sub', identities: { [SUBJECT]: IDENTITY } };
    verifier = new WorkloadTokenVerifier([trusted]);
  });

  it('maps a valid token from a trusted issuer to its client identity', async () => {
    const t = await token();
    assert.equal(verifier.claimsTrustedIssuer(t), true);
    assert.deepEqual(await verifier.verify(t, { now: NOW }), { identity: IDENTITY, issuer: ISSUER, claimValue: SUBJECT });
  });

  it('routes only tokens that name a trusted issuer', async () => {
    assert.equal(verifier.claimsTrustedIssuer(await token({ iss: 'https://elsewhere.test' })), false);
    assert.equal(verifier.claimsTrustedIssuer('not-a-jwt'), false);
  });

  const refused: { name: string; token: () => Promise<string>; code: AuthErrorCode }[] = [
    { name: 'an oversize token', token: async () => 'a'.repeat(9000), code: 'ERR_TOKEN_TOO_LARGE' },
    { name: 'garbage', token: async () => 'x.y.z', code: 'ERR_TOKEN_MALFORMED' },
    { name: 'alg none', token: async () => unsigned({ iss: ISSUER, aud: AUDIENCE, sub: SUBJECT, iat: NOW_S, exp: NOW_S + 60 }), code: 'ERR_TOKEN_ALG' },
    { name: 'a jku header', token: () => token({}, { jku: 'https://attacker.test/jwks' }), code: 'ERR_TOKEN_HEADER' },
    { name: 'an untrusted issuer', token: () => token({ iss: 'https://elsewhere.test' }), code: 'ERR_TOKEN_ISSUER' },
    { name: 'a signature by another key', token: () => token({}, {}, strangerKey), code: 'ERR_TOKEN_SIGNATURE' },
    { name: 'a wrong audience', token: () => token({ aud: 'someone-else' }), code: 'ERR_TOKEN_AUDIENCE' },
    { name: 'an expired token', token: () => token({ iat: NOW_S - 7200, exp: NOW_S - 3600 }), code: 'ERR_TOKEN_EXPIRED' },
    { name: 'a token issued in the future', token: () => token({ iat: NOW_S + 600, exp: NOW_S + 1200 }), code: 'ERR_TOKEN_NOT_YET_VALID' },
    { name: 'a lifetime over a day', token: () => token({ iat: NOW_S - 60, exp: NOW_S + 2 * 86400 }), code: 'ERR_TOKEN_LIFETIME' },
    { name: 'a subject mapped to no identity', token: () => token({ sub: 'system:serviceaccount:default:intruder' }), code: 'ERR_OIDC_UNMAPPED' },
  ];
  for (const { name, token: make, code } of refused) {
    it(`refuses ${name} with ${code}`, async () => {
      await assert.rejects(verifier.verify(await make(), { now: NOW }), (err: unknown) => {
        assert.ok(err instanceof AuthError, String(err));
        assert.equal(err.code, code);
        return true;
      });
    });
  }
});
