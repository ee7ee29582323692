import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainAcl } from '../../../src/policy/acl-explain.js';
import { compileAcl } from '../../../src/policy/acl.js';

const CI = 'ci@clients.acme.causeway';
const ONPREM = 'onprem@agents.acme.causeway';
const DR = 'dr@agents.acme.causeway';

const acl = compileAcl([
  /* 0 */ { clients: [CI], agents: [ONPREM], destinations: ['git.corp.test:443'] },
  /* 1 */ { clients: ['*@clients.acme.causeway'], agents: [DR], destinations: ['*.corp.test:22', '10.0.0.0/8:*'] },
  /* 2 */ { clients: [CI], agents: ['*@agents.acme.causeway'] },
]);

describe('explainAcl', () => {
  const rows: ReadonlyArray<readonly [string, { client: string; host: string; port: number; agent?: string }, { target: string; allow?: boolean; rule?: number; granting: number[]; destinations: (string | undefined)[] }]> = [
    ['first matching rule decides for the named agent', { client: CI, host: 'GIT.corp.test.', port: 443, agent: ONPREM },
      { target: 'git.corp.test:443', allow: true, rule: 0, granting: [0, 2], destinations: ['git.corp.test:443', undefined, 'any'] }],
    ['a later rule decides when the first does not cover the port', { client: CI, host: 'git.corp.test', port: 22, agent: ONPREM },
      { target: 'git.corp.test:22', allow: true, rule: 2, granting: [2], destinations: [undefined, '*.corp.test:22', 'any'] }],
    ['an agent no rule names is denied although rules cover the destination', { client: CI, host: 'git.corp.test', port: 443, agent: 'globex@agents.globex.causeway' },
      { target: 'git.corp.test:443', allow: false, granting: [], destinations: ['git.corp.test:443', undefined, 'any'] }],
    ['a client no rule names is denied', { client: 'x@clients.globex.causeway', host: 'git.corp.test', port: 22, agent: DR },
      { target: 'git.corp.test:22', allow: false, granting: [], destinations: [undefined, '*.corp.test:22', 'any'] }],
    ['without an agent, every granting rule is listed', { client: 'build@clients.acme.causeway', host: '0x0a000001', port: 5432 },
      { target: '10.0.0.1:5432', granting: [1], destinations: [undefined, '10.0.0.0/8:*', 'any'] }],
    ['an invalid host explains nothing and is denied', { client: CI, host: 'a b', port: 443, agent: ONPREM },
      { target: 'a b:443', allow: false, granting: [], destinations: [] }],
    ['an invalid port explains nothing and is denied', { client: CI, host: 'git.corp.test', port: 0, agent: ONPREM },
      { target: 'git.corp.test:0', allow: false, granting: [], destinations: [] }],
  ];
  for (const [name, request, expected] of rows) {
    it(name, () => {
      const explanation = explainAcl(acl, request);
      assert.equal(explanation.target, expected.target);
      assert.equal(explanation.decision?.allow, expected.allow);
      assert.equal(explanation.decision?.rule, expected.rule);
      assert.deepEqual(explanation.granting, expected.granting);
      assert.deepEqual(explanation.rules.map((r) => r.destination), expected.destinations);
    });
  }

  it('names the patterns that matched', () => {
    const [, second] = explainAcl(acl, { client: 'build@clients.acme.causeway', host: 'ci.corp.test', port: 22, agent: DR }).rules;
    assert.deepEqual(second, { rule: 1, client: '*@clients.acme.causeway', agents: [DR], agent: DR, destination: '*.corp.test:22', grants: true });
  });
});
