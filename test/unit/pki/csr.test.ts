import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { describe, it } from 'node:test';
import { exportJWK } from 'jose';
import { MAX_CSR_BYTES, parseAndVerifyCsr } from '../../../src/pki/csr.js';
import { PkiError } from '../../../src/pki/errors.js';
import type { PkiErrorCode } from '../../../src/pki/errors.js';
import { createCsr, generateLeafKey, jwkThumbprint } from '../../../src/pki/leaf-key.js';
import { x509 } from '../../../src/pki/x509.js';

const RSA_EXPONENT = new Uint8Array([1, 0, 1]);

interface KeySpec {
  readonly generate: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams | webcrypto.Algorithm;
  readonly sign: webcrypto.EcdsaParams | webcrypto.Algorithm;
}

const KEY_SPECS = {
  'P-256': { generate: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  'P-384': { generate: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } },
  'P-521': { generate: { name: 'ECDSA', namedCurve: 'P-521' }, sign: { name: 'ECDSA', hash: 'SHA-512' } },
  Ed25519: { generate: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
  'RSA-2048': {
    generate: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: RSA_EXPONENT, hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  },
  'RSA-1024': {
    generate: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: RSA_EXPONENT, hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  },
} satisfies Record<string, KeySpec>;

async function csrFor(spec: KeySpec): Promise<{ der: Uint8Array; keys: webcrypto.CryptoKeyPair }> {
  const keys = (await webcrypto.subtle.generateKey(spec.generate, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: ['requested-name'] }],
    keys,
    signingAlgorithm: spec.sign,
  });
  return { der: new Uint8Array(csr.rawData), keys };
}

function rejectsWith(code: PkiErrorCode) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof PkiError, `expected PkiError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

describe('parseAndVerifyCsr', () => {
  const accepted = [
    { name: 'P-256', spec: KEY_SPECS['P-256'], keyType: 'P-256' },
    { name: 'P-384', spec: KEY_SPECS['P-384'], keyType: 'P-384' },
    { name: 'Ed25519', spec: KEY_SPECS.Ed25519, keyType: 'Ed25519' },
    { name: 'RSA-2048', spec: KEY_SPECS['RSA-2048'], keyType: 'RSA' },
  ] as const;

  for (const { name, spec, keyType } of accepted) {
    it(`accepts a ${name} CSR and thumbprints its key like the caller does`, async () => {
      const { der, keys } = await csrFor(spec);
      const verified = await parseAndVerifyCsr(der);
      assert.equal(verified.keyType, keyType);
      assert.equal(verified.publicKey.type, 'public');
      assert.equal(verified.thumbprint, await jwkThumbprint(keys.publicKey));
      assert.equal(verified.thumbprint, await jwkThumbprint(await exportJWK(keys.publicKey)));
    });
  }

  const refused: ReadonlyArray<{ name: string; der: () => Promise<Uint8Array>; code: PkiErrorCode }> = [
    { name: 'an RSA-1024 key', der: async () => (await csrFor(KEY_SPECS['RSA-1024'])).der, code: 'ERR_CSR_KEY_UNSUPPORTED' },
    { name: 'a P-521 key', der: async () => (await csrFor(KEY_SPECS['P-521'])).der, code: 'ERR_CSR_KEY_UNSUPPORTED' },
    {
      name: 'a tampered signature',
      der: async () => {
        const { der } = await csrFor(KEY_SPECS['P-256']);
        der[der.length - 1] ^= 0x01;
        return der;
      },
      code: 'ERR_CSR_SIGNATURE',
    },
    {
      name: 'a tampered subject',
      der: async () => {
        const { der } = await csrFor(KEY_SPECS.Ed25519);
        const at = Buffer.from(der).indexOf('requested-name');
        der[at] = 'R'.charCodeAt(0);
        return der;
      },
      code: 'ERR_CSR_SIGNATURE',
    },
    { name: 'garbage', der: async () => new TextEncoder().encode('not a certificate request'), code: 'ERR_CSR_INVALID' },
    { name: 'an empty buffer', der: async () => new Uint8Array(0), code: 'ERR_CSR_INVALID' },
    {
      name: 'a certificate instead of a CSR',
      der: async () => {
        const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
        const cert = await x509.X509CertificateGenerator.createSelfSigned({ name: 'CN=x', keys });
        return new Uint8Array(cert.rawData);
      },
      code: 'ERR_CSR_INVALID',
    },
    { name: 'an oversize input', der: async () => new Uint8Array(MAX_CSR_BYTES + 1), code: 'ERR_CSR_TOO_LARGE' },
  ];

  for (const { name, der, code } of refused) {
    it(`refuses ${name} with ${code}`, async () => {
      await assert.rejects(parseAndVerifyCsr(await der()), rejectsWith(code));
    });
  }

  it('gives the thumbprint the caller computes from its leaf key', async () => {
    const leafKey = await generateLeafKey();
    const verified = await parseAndVerifyCsr(await createCsr(leafKey, 'someone@example'));
    assert.equal(verified.thumbprint, await jwkThumbprint(leafKey.publicJwk));
    assert.equal(verified.thumbprint, await jwkThumbprint(leafKey.keyPair.publicKey));
    assert.match(leafKey.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  });
});
