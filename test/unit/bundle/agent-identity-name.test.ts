import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentIdentityName } from '../../../src/bundle/write-bundle.js';

describe('agentIdentityName', () => {
  const ok: ReadonlyArray<readonly [string, string]> = [
    ['acme-onprem', 'acme-onprem@agents.acme.causeway'],
    ['acme-onprem@agents.acme.causeway', 'acme-onprem@agents.acme.causeway'],
  ];
  for (const [name, identity] of ok) {
    it(`${name} → ${identity}`, () => assert.equal(agentIdentityName(name, 'acme.causeway'), identity));
  }
  const refused: ReadonlyArray<readonly [string, string]> = [
    ['a client name', 'x@clients.acme.causeway'],
    ['another trust domain', 'x@agents.other.causeway'],
    ['a longer domain ending the same way', 'x@agents.evil-acme.causeway'],
    ['a sub-domain of the agents domain', 'x@eu.agents.acme.causeway'],
    ['no local part', '@agents.acme.causeway'],
  ];
  for (const [what, name] of refused) {
    it(`refuses ${what} (${name}), naming the form it wants`, () => {
      assert.throws(() => agentIdentityName(name, 'acme.causeway'), /an agent of this server is named NAME@agents\.acme\.causeway/);
    });
  }
});
