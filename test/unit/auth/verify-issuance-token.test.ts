import assert from 'node:assert/strict';
import { createHmac, randomUUID, webcrypto } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, importJWK } from 'jose';
import type { JWK } from 'jose';
import { AuthError } from '../../../src/auth/errors.js';
import type { AuthErrorCode } from '../../../src/auth/errors.js';
import { createIssuanceToken } from '../../../src/auth/issuance-token.js';
import { MemoryReplayCache } from '../../../src/auth/replay-cache.js';
import { MAX_TOKEN_BYTES, verifyIssuanceToken } from '../../../src/auth/verify-issuance-token.js';
import type { RegisteredKey, VerifyIssuanceTokenOptions } from '../../../src/auth/verify-issuance-token.js';
import { generateServiceAccountKey } from '../../../src/pki/service-account.js';
import type { ServiceAccountKey } from '../../../src/pki/service-account.js';

const IDENTITY = 'acme-onprem@agents.acme.causeway';
const AUDIENCE = 'https://causeway.example/identity';
const CSR_THUMBPRINT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
const NOW = new Date('2030-01-01T00:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const DISABLED_KID = 'disabled-kid';
const ED25519_KID = 'ed25519-kid';
const RSA_KID = 'rsa-2048-kid';
const WEAK_RSA_KID = 'rsa-1024-kid';

type Header = Record<string, unknown>;
type Claims = Record<string, unknown>;

let account: ServiceAccountKey;
let accountKey: webcrypto.CryptoKey;
let otherEs256Key: webcrypto.CryptoKey;
let otherEs256PublicJwk: JWK;
let es384Key: webcrypto.CryptoKey;
let ed25519Key: webcrypto.CryptoKey;
let rsaKey: webcrypto.CryptoKey;
let weakRsaKey: webcrypto.CryptoKey;
let keys: Map<string, RegisteredKey>;

const base64url = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');

async function signCompact(header: Header, claims: Claims, key: webcrypto.CryptoKey): Promise<string> {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const algorithm =
    key.algorithm.name === 'ECDSA'
      ? { name: 'ECDSA', hash: (key.algorithm as webcrypto.EcKeyAlgorithm).namedCurve === 'P-384' ? 'SHA-384' : 'SHA-256' }
      : { name: key.algorithm.name };
  const signature = await webcrypto.subtle.sign(algorithm, key, new TextEncoder().encode(input));
  return `${input}.${base64url(new Uint8Array(signature))}`;
}

function unsignedCompact(header: Header, claims: Claims, signature = ''): string {
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}.${signature}`;
}

function header(overrides: Header = {}): Header {
  return { alg: 'ES256', kid: account.keyId, typ: 'JWT', ...overrides };
}

function claims(overrides: Claims = {}): Claims {
  const base: Claims = {
    iss: IDENTITY,
    sub: IDENTITY,
    aud: AUDIENCE,
    iat: NOW_S,
    nbf: NOW_S,
    exp: NOW_S + 120,
    jti: randomUUID(),
    cnf: { jkt: CSR_THUMBPRINT },
    ...overrides,
  };
  return Object.fromEntries(Object.entries(base).filter(([, value]) => value !== undefined));
}

function verifyOptions(overrides: Partial<VerifyIssuanceTokenOptions> = {}): VerifyIssuanceTokenOptions {
  return {
    audience: AUDIENCE,
    csrThumbprint: CSR_THUMBPRINT,
    lookupKey: (kid) => keys.get(kid),
    replay: new MemoryReplayCache(),
    now: NOW,
    ...overrides,
  };
}

function rejectsWith(code: AuthErrorCode) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof AuthError, `expected AuthError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.doesNotMatch(error.message, /"d"|"x"|BEGIN/);
    return true;
  };
}

before(async () => {
  account = await generateServiceAccountKey();
  accountKey = (await importJWK(account.privateJwk, 'ES256')) as webcrypto.CryptoKey;
  const otherEs256 = await generateKeyPair('ES256');
  otherEs256Key = otherEs256.privateKey as webcrypto.CryptoKey;
  otherEs256PublicJwk = await exportJWK(otherEs256.publicKey);
  const es384 = await generateKeyPair('ES384');
  es384Key = es384.privateKey as webcrypto.CryptoKey;
  const ed25519 = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  ed25519Key = ed25519.privateKey as webcrypto.CryptoKey;
  const disabled = await generateServiceAccountKey();
  const rsaKeyPair = async (modulusLength: number) =>
    (await webcrypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    )) as webcrypto.CryptoKeyPair;
  const [rsa, weakRsa] = await Promise.all([rsaKeyPair(2048), rsaKeyPair(1024)]);
  rsaKey = rsa.privateKey;
  weakRsaKey = weakRsa.privateKey;
  keys = new Map<string, RegisteredKey>([
    [account.keyId, { identity: IDENTITY, publicJwk: account.publicJwk, enabled: true }],
    [DISABLED_KID, { identity: 'gone@agents.acme.causeway', publicJwk: disabled.publicJwk, enabled: false }],
    [ED25519_KID, { identity: IDENTITY, publicJwk: await exportJWK(ed25519.publicKey), enabled: true }],
    [RSA_KID, { identity: IDENTITY, publicJwk: await exportJWK(rsa.publicKey), enabled: true }],
    [WEAK_RSA_KID, { identity: IDENTITY, publicJwk: await exportJWK(weakRsa.publicKey), enabled: true }],
  ]);
});

describe('verifyIssuanceToken', () => {
  it('accepts a token made by createIssuanceToken', async () => {
    const token = await createIssuanceToken({
      identity: IDENTITY,
      keyId: account.keyId,
      privateJwk: account.privateJwk,
      audience: AUDIENCE,
      cnfJkt: CSR_THUMBPRINT,
      now: NOW,
    });
    const verified = await verifyIssuanceToken(token, verifyOptions());
    assert.equal(verified.identity, IDENTITY);
    assert.equal(verified.keyId, account.keyId);
    assert.match(verified.jti, /^[0-9a-f-]{36}$/);
    assert.equal(verified.expiresAt.getTime(), NOW.getTime() + 120_000);
  });

  it('accepts an EdDSA token from an Ed25519 key', async () => {
    const token = await signCompact(header({ alg: 'EdDSA', kid: ED25519_KID }), claims(), ed25519Key);
    assert.equal((await verifyIssuanceToken(token, verifyOptions())).identity, IDENTITY);
  });

  it('accepts an RS256 token from an RSA-2048 key', async () => {
    const token = await signCompact(header({ alg: 'RS256', kid: RSA_KID }), claims(), rsaKey);
    assert.equal((await verifyIssuanceToken(token, verifyOptions())).identity, IDENTITY);
  });

  it('accepts a token within the clock skew allowance', async () => {
    const token = await signCompact(header(), claims({ iat: NOW_S + 20, nbf: NOW_S + 20, exp: NOW_S + 140 }), accountKey);
    assert.equal((await verifyIssuanceToken(token, verifyOptions())).identity, IDENTITY);
  });

  const refused: ReadonlyArray<{
    name: string;
    token: () => Promise<string>;
    code: AuthErrorCode;
    options?: () => Partial<VerifyIssuanceTokenOptions>;
  }> = [
    { name: 'a malformed token', token: async () => 'not-a-jwt', code: 'ERR_TOKEN_MALFORMED' },
    { name: 'an undecodable header', token: async () => 'e30x.e30.e30', code: 'ERR_TOKEN_MALFORMED' },
    {
      name: 'a JWE-shaped token',
      token: async () => `${base64url(JSON.stringify(header()))}.a.b.c.d`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'a non-JSON claims set',
      token: async () => {
        const input = `${base64url(JSON.stringify(header()))}.${base64url('not json')}`;
        const signature = await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, accountKey, new TextEncoder().encode(input));
        return `${input}.${base64url(new Uint8Array(signature))}`;
      },
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'an oversize token',
      token: async () => signCompact(header(), claims({ pad: 'x'.repeat(MAX_TOKEN_BYTES) }), accountKey),
      code: 'ERR_TOKEN_TOO_LARGE',
    },
    { name: 'alg none', token: async () => unsignedCompact(header({ alg: 'none' }), claims()), code: 'ERR_TOKEN_ALG' },
    {
      name: 'HS256 signed with the public key as secret',
      token: async () => {
        const input = `${base64url(JSON.stringify(header({ alg: 'HS256' })))}.${base64url(JSON.stringify(claims()))}`;
        const secret = JSON.stringify(account.publicJwk);
        return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
      },
      code: 'ERR_TOKEN_ALG',
    },
    {
      name: 'an ES384 token for an ES256 key',
      token: async () => signCompact(header({ alg: 'ES384' }), claims(), es384Key),
      code: 'ERR_TOKEN_ALG',
    },
    {
      name: 'an ES256 token for an Ed25519 key',
      token: async () => signCompact(header({ kid: ED25519_KID }), claims(), otherEs256Key),
      code: 'ERR_TOKEN_ALG',
    },
    {
      name: 'an RS256 token for an RSA-1024 key',
      token: async () => signCompact(header({ alg: 'RS256', kid: WEAK_RSA_KID }), claims(), weakRsaKey),
      code: 'ERR_TOKEN_ALG',
    },
    {
      name: 'an embedded jwk header',
      token: async () => signCompact(header({ jwk: otherEs256PublicJwk }), claims(), otherEs256Key),
      code: 'ERR_TOKEN_HEADER',
    },
    {
      name: 'a jku header',
      token: async () => signCompact(header({ jku: 'https://evil.example/jwks' }), claims(), accountKey),
      code: 'ERR_TOKEN_HEADER',
    },
    {
      name: 'an x5u header',
      token: async () => signCompact(header({ x5u: 'https://evil.example/cert' }), claims(), accountKey),
      code: 'ERR_TOKEN_HEADER',
    },
    {
      name: 'an x5c header',
      token: async () => signCompact(header({ x5c: ['MIIB'] }), claims(), accountKey),
      code: 'ERR_TOKEN_HEADER',
    },
    {
      name: 'a crit header',
      token: async () => signCompact(header({ crit: ['exp'] }), claims(), accountKey),
      code: 'ERR_TOKEN_HEADER',
    },
    {
      name: 'a missing kid',
      token: async () => signCompact(header({ kid: undefined }), claims(), accountKey),
      code: 'ERR_TOKEN_HEADER',
    },
    {
      name: 'an unknown kid',
      token: async () => signCompact(header({ kid: 'no-such-key' }), claims(), accountKey),
      code: 'ERR_TOKEN_KID_UNKNOWN',
    },
    {
      name: 'a disabled identity',
      token: async () => signCompact(header({ kid: DISABLED_KID }), claims({ iss: 'gone@agents.acme.causeway' }), accountKey),
      code: 'ERR_IDENTITY_DISABLED',
    },
    {
      name: 'a signature by another key with the same kid',
      token: async () => signCompact(header(), claims(), otherEs256Key),
      code: 'ERR_TOKEN_SIGNATURE',
    },
    {
      name: 'a tampered claims set',
      token: async () => {
        const [h, , s] = (await signCompact(header(), claims(), accountKey)).split('.');
        return `${h}.${base64url(JSON.stringify(claims({ sub: 'root@agents.acme.causeway' })))}.${s}`;
      },
      code: 'ERR_TOKEN_SIGNATURE',
    },
    {
      name: 'an expired token',
      token: async () => signCompact(header(), claims(), accountKey),
      options: () => ({ now: new Date(NOW.getTime() + 121_000 + 30_000) }),
      code: 'ERR_TOKEN_EXPIRED',
    },
    {
      name: 'nbf beyond the clock skew',
      token: async () => signCompact(header(), claims({ nbf: NOW_S + 31 }), accountKey),
      code: 'ERR_TOKEN_NOT_YET_VALID',
    },
    {
      name: 'iat beyond the clock skew',
      token: async () => signCompact(header(), claims({ iat: NOW_S + 60, nbf: undefined, exp: NOW_S + 180 }), accountKey),
      code: 'ERR_TOKEN_NOT_YET_VALID',
    },
    {
      name: 'a lifetime over 600 s',
      token: async () => signCompact(header(), claims({ exp: NOW_S + 601 }), accountKey),
      code: 'ERR_TOKEN_LIFETIME',
    },
    {
      name: 'a missing exp',
      token: async () => signCompact(header(), claims({ exp: undefined }), accountKey),
      code: 'ERR_TOKEN_LIFETIME',
    },
    {
      name: 'a missing iat',
      token: async () => signCompact(header(), claims({ iat: undefined }), accountKey),
      code: 'ERR_TOKEN_LIFETIME',
    },
    {
      name: 'a string exp',
      token: async () => signCompact(header(), claims({ exp: String(NOW_S + 60) }), accountKey),
      code: 'ERR_TOKEN_LIFETIME',
    },
    {
      name: 'a wrong audience',
      token: async () => signCompact(header(), claims({ aud: 'https://other.example/identity' }), accountKey),
      code: 'ERR_TOKEN_AUDIENCE',
    },
    {
      name: 'an audience list that merely includes ours',
      token: async () => signCompact(header(), claims({ aud: [AUDIENCE, 'https://other.example'] }), accountKey),
      code: 'ERR_TOKEN_AUDIENCE',
    },
    {
      name: 'a missing audience',
      token: async () => signCompact(header(), claims({ aud: undefined }), accountKey),
      code: 'ERR_TOKEN_AUDIENCE',
    },
    {
      name: 'iss other than the key identity',
      token: async () => signCompact(header(), claims({ iss: 'other@agents.acme.causeway' }), accountKey),
      code: 'ERR_TOKEN_ISSUER',
    },
    {
      name: 'sub other than the key identity',
      token: async () => signCompact(header(), claims({ sub: 'other@agents.acme.causeway' }), accountKey),
      code: 'ERR_TOKEN_ISSUER',
    },
    {
      name: 'a missing jti',
      token: async () => signCompact(header(), claims({ jti: undefined }), accountKey),
      code: 'ERR_TOKEN_JTI',
    },
    {
      name: 'an overlong jti',
      token: async () => signCompact(header(), claims({ jti: 'j'.repeat(129) }), accountKey),
      code: 'ERR_TOKEN_JTI',
    },
    {
      name: 'a missing cnf',
      token: async () => signCompact(header(), claims({ cnf: undefined }), accountKey),
      code: 'ERR_TOKEN_CNF',
    },
    {
      name: 'a cnf without jkt',
      token: async () => signCompact(header(), claims({ cnf: { jwk: account.publicJwk } }), accountKey),
      code: 'ERR_TOKEN_CNF',
    },
    {
      name: 'a cnf bound to another key',
      token: async () => signCompact(header(), claims(), accountKey),
      options: () => ({ csrThumbprint: 'a-different-thumbprint' }),
      code: 'ERR_TOKEN_CNF',
    },
  ];

  for (const { name, token, code, options } of refused) {
    it(`refuses ${name} with ${code}`, async () => {
      await assert.rejects(verifyIssuanceToken(await token(), verifyOptions(options?.())), rejectsWith(code));
    });
  }

  it('refuses a replayed jti with ERR_TOKEN_REPLAY', async () => {
    const replay = new MemoryReplayCache();
    const token = await signCompact(header(), claims(), accountKey);
    await verifyIssuanceToken(token, verifyOptions({ replay }));
    await assert.rejects(verifyIssuanceToken(token, verifyOptions({ replay })), rejectsWith('ERR_TOKEN_REPLAY'));
  });

  it('does not spend the jti of a refused token', async () => {
    const replay = new MemoryReplayCache();
    const token = await signCompact(header(), claims(), accountKey);
    await assert.rejects(
      verifyIssuanceToken(token, verifyOptions({ replay, csrThumbprint: 'other' })),
      rejectsWith('ERR_TOKEN_CNF'),
    );
    await verifyIssuanceToken(token, verifyOptions({ replay }));
  });

  it('looks keys up asynchronously', async () => {
    const token = await signCompact(header(), claims(), accountKey);
    const lookupKey = async (kid: string): Promise<RegisteredKey | undefined> => keys.get(kid);
    assert.equal((await verifyIssuanceToken(token, verifyOptions({ lookupKey }))).identity, IDENTITY);
  });

  it('keeps the public JWK of a service-account key free of private material', () => {
    const publicJwk: JWK = account.publicJwk;
    assert.equal(publicJwk.d, undefined);
    assert.equal(publicJwk.kid, account.keyId);
    assert.equal(typeof account.privateJwk.d, 'string');
  });
});
