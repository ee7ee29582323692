import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAccess, type AccessInput, type AccessRefusalCode } from '../../../src/auth/peer-access.js';
import type { IdentityRecord } from '../../../src/registry/identity-store.js';

const record: IdentityRecord = {
  name: 'c@clients.test',
  role: 'client',
  enabled: true,
  keys: [{ keyId: 'k1', publicJwk: {}, addedAt: '2026-01-01T00:00:00Z' }],
  cidrs: ['127.0.0.0/8'],
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};
const issuance = { serial: '01', identity: record.name, keyId: 'k1', notAfter: new Date('2030-01-01T00:00:00Z') };
const good: AccessInput = { identity: record.name, role: 'client', record, issuance, sourceIp: '127.0.0.1' };

describe('decideAccess', () => {
  it('admits an enabled identity with a registered key from an allowed source', () => {
    assert.deepEqual(decideAccess(good), { allow: true });
    assert.deepEqual(decideAccess({ ...good, issuance: 'not-a-certificate' }), { allow: true });
    assert.deepEqual(decideAccess({ ...good, record: { ...record, cidrs: [] }, sourceIp: '198.51.100.1' }), { allow: true });
  });

  const refused: { name: string; input: AccessInput; code: AccessRefusalCode }[] = [
    { name: 'an identity no longer registered', input: { ...good, record: undefined }, code: 'ERR_IDENTITY_UNKNOWN' },
    { name: 'a disabled identity', input: { ...good, record: { ...record, enabled: false } }, code: 'ERR_IDENTITY_DISABLED' },
    { name: 'a certificate role the registry does not give', input: { ...good, role: 'agent' }, code: 'ERR_ROLE_MISMATCH' },
    { name: 'a certificate this registry did not issue', input: { ...good, issuance: undefined }, code: 'ERR_CERT_NOT_ISSUED' },
    {
      name: 'a certificate issued to another identity',
      input: { ...good, issuance: { ...issuance, identity: 'someone-else' } },
      code: 'ERR_CERT_NOT_ISSUED',
    },
    { name: 'a certificate bought with a removed key', input: { ...good, record: { ...record, keys: [] } }, code: 'ERR_KEY_REMOVED' },
    { name: 'a source outside the CIDRs', input: { ...good, sourceIp: '192.0.2.1' }, code: 'ERR_SOURCE_NOT_ALLOWED' },
    { name: 'issuance from outside the CIDRs', input: { ...good, issuance: 'not-a-certificate', sourceIp: '::2' }, code: 'ERR_SOURCE_NOT_ALLOWED' },
  ];
  for (const { name, input, code } of refused) {
    it(`refuses ${name} with ${code}`, () => {
      const decision = decideAccess(input);
      assert.equal(decision.allow, false);
      assert.equal(!decision.allow && decision.code, code);
      assert.ok(!decision.allow && decision.reason.length > 0);
    });
  }
});
