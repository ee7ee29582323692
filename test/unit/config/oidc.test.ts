import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trustedIssuerSchema, toTrustedIssuers } from '../../../src/config/oidc.js';
import { ConfigError } from '../../../src/config/errors.js';
import { tempDir } from './temp-dir.js';

const base = { issuer: 'https://oidc.example.test', audience: 'causeway', identities: { 'system:serviceaccount:a:b': 'b@clients.acme.causeway' } };

describe('oidc: trusted issuer config', () => {
  it('accepts an https JWKS URL, and http only on loopback', () => {
    assert.ok(trustedIssuerSchema.safeParse({ ...base, jwksUri: 'https://oidc.example.test/keys' }).success);
    assert.ok(trustedIssuerSchema.safeParse({ ...base, issuer: 'http://127.0.0.1:8080', jwksUri: 'http://127.0.0.1:8080/jwks' }).success);
    assert.equal(trustedIssuerSchema.parse({ ...base, jwksUri: 'https://oidc.example.test/keys' }).claim, 'sub');
  });

  const refused: [string, unknown][] = [
    ['plain http off loopback', { ...base, jwksUri: 'http://oidc.example.test/keys' }],
    ['both jwksUri and jwksFile', { ...base, jwksUri: 'https://oidc.example.test/keys', jwksFile: './jwks.json' }],
    ['neither jwksUri nor jwksFile', base],
    ['no identities', { ...base, jwksUri: 'https://oidc.example.test/keys', identities: {} }],
    ['an identity that is not name@domain', { ...base, jwksUri: 'https://oidc.example.test/keys', identities: { x: 'frontend' } }],
    ['an unknown key', { ...base, jwksUri: 'https://oidc.example.test/keys', jwks_uri: 'x' }],
  ];
  for (const [name, input] of refused) {
    it(`refuses ${name}`, () => assert.equal(trustedIssuerSchema.safeParse(input).success, false));
  }

  it('reads a JWKS file and refuses one holding a private key', () => {
    const { dir, write } = tempDir();
    write('jwks.json', JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] }));
    write('private.json', JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' }] }));
    const [issuer] = toTrustedIssuers([trustedIssuerSchema.parse({ ...base, jwksFile: 'jwks.json' })], dir);
    assert.ok(issuer && 'keys' in issuer.jwks && issuer.jwks.keys.keys.length === 1);
    assert.throws(() => toTrustedIssuers([trustedIssuerSchema.parse({ ...base, jwksFile: 'private.json' })], dir), ConfigError);
  });
});
