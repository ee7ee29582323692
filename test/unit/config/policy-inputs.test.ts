import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentConfigSchema } from '../../../src/config/agent.js';
import { parseConfig } from '../../../src/config/load.js';
import { serverConfigSchema } from '../../../src/config/server.js';
import { compileAcl, decideAcl } from '../../../src/policy/acl.js';
import { compileAllowlist, decideAddress, decideName } from '../../../src/policy/allowlist.js';

describe('validated configs feed the policy compilers as they are', () => {
  it('server acl -> compileAcl', () => {
    const config = parseConfig(
      { acl: [{ clients: ['*@clients.acme.causeway'], agents: ['acme-onprem@agents.acme.causeway'], destinations: ['*.acme.net:443', '[::1]:22'] }] },
      serverConfigSchema,
      'server.yaml',
    );
    const acl = compileAcl(config.acl);
    assert.equal(decideAcl(acl, { client: 'ci@clients.acme.causeway', agent: 'acme-onprem@agents.acme.causeway', host: 'git.acme.net', port: 443 }).allow, true);
  });

  it('agent allow -> compileAllowlist', () => {
    const config = parseConfig({ credentials: 'a.json', allow: [{ host: 'Git.Demo.Internal', ports: [22, '8000-8001'], allowLoopback: true }] }, agentConfigSchema, 'agent.yaml');
    const allowlist = compileAllowlist(config.allow);
    assert.equal(decideName(allowlist, 'git.demo.internal', 8001).allow, true);
    assert.equal(decideAddress(allowlist, 'git.demo.internal', '127.0.0.1', 22).allow, true);
  });
});
