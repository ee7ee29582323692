import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PkiError } from '../../../src/pki/errors.js';
import { isRole, parseSpiffeId, spiffeId } from '../../../src/pki/spiffe.js';
import type { Role } from '../../../src/pki/spiffe.js';

describe('spiffeId', () => {
  it('builds spiffe://<trust-domain>/<role>/<identity>', () => {
    assert.equal(
      spiffeId('acme.causeway', 'agent', 'acme-onprem@agents.acme.causeway'),
      'spiffe://acme.causeway/agent/acme-onprem@agents.acme.causeway',
    );
  });

  const invalid: ReadonlyArray<{ name: string; parts: [string, Role, string] }> = [
    { name: 'an upper-case trust domain', parts: ['Acme.causeway', 'agent', 'a@b'] },
    { name: 'a trust domain with a slash', parts: ['acme/x', 'agent', 'a@b'] },
    { name: 'an unknown role', parts: ['acme.causeway', 'root' as Role, 'a@b'] },
    { name: 'an identity with a slash', parts: ['acme.causeway', 'agent', 'a/../b'] },
    { name: 'an identity with a comma', parts: ['acme.causeway', 'agent', 'a,O=x'] },
    { name: 'an empty identity', parts: ['acme.causeway', 'agent', ''] },
    { name: 'an identity with two @', parts: ['acme.causeway', 'agent', 'a@b@c'] },
  ];
  for (const { name, parts } of invalid) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => spiffeId(...parts),
        (error: unknown) => error instanceof PkiError && error.code === 'ERR_NAME_INVALID',
      );
    });
  }
});

describe('parseSpiffeId', () => {
  it('inverts spiffeId', () => {
    assert.deepEqual(parseSpiffeId('spiffe://acme.causeway/client/ci@clients.acme'), {
      trustDomain: 'acme.causeway',
      role: 'client',
      identity: 'ci@clients.acme',
    });
  });

  for (const uri of [
    'https://acme.causeway/agent/a@b',
    'spiffe://acme.causeway/admin/a@b',
    'spiffe://acme.causeway/agent/a@b/extra',
    'spiffe://acme.causeway/agent',
    'spiffe://acme.causeway/agent/',
  ]) {
    it(`returns undefined for ${uri}`, () => {
      assert.equal(parseSpiffeId(uri), undefined);
    });
  }
});

describe('isRole', () => {
  it('knows exactly agent, client and server', () => {
    assert.deepEqual(['agent', 'client', 'server', 'admin', 1, undefined].map(isRole), [true, true, true, false, false, false]);
  });
});
