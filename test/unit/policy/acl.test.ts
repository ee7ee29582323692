import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentsAllowedFor, compileAcl, decideAcl } from '../../../src/policy/acl.js';
import type { AclRequest } from '../../../src/policy/acl.js';
import type { Decision } from '../../../src/policy/decision.js';
import { PolicyError } from '../../../src/policy/errors.js';

const CI = 'ci@clients.acme.causeway';
const BUILD = 'build-7@clients.acme.causeway';
const ONPREM = 'acme-onprem@agents.acme.causeway';
const DR = 'acme-dr@agents.acme.causeway';
const OTHER = 'globex@agents.globex.causeway';

const acl = compileAcl([
  // 0: ci may reach gitlab over https and ssh via the on-prem agent
  { clients: [CI], agents: [ONPREM], destinations: ['gitlab.internal.acme.net:443', 'gitlab.internal.acme.net:22'] },
  // 1: any acme client may reach *.artifacts.acme.net on any port, via any acme agent
  { clients: ['*@clients.acme.causeway'], agents: ['*@agents.acme.causeway'], destinations: ['*.artifacts.acme.net:*'] },
  // 2: build clients may reach anything the DR agent allows
  { clients: ['build-*@clients.acme.causeway'], agents: [DR] },
  // 3: IP and port-range destinations
  { clients: [CI], agents: [DR], destinations: ['10.0.0.5:8000-8100', '[fd00::5]:443', '*:9418'] },
]);

const rows: ReadonlyArray<readonly [string, AclRequest, Decision]> = [
  ['exact client, agent and destination', { client: CI, agent: ONPREM, host: 'gitlab.internal.acme.net', port: 443 },
    { allow: true, rule: 0, reason: `acl rule 0 lets client "${CI}" reach gitlab.internal.acme.net:443 through agent "${ONPREM}"` }],
  ['destination compared case-insensitively, trailing dot ignored', { client: CI, agent: ONPREM, host: 'GitLab.Internal.Acme.Net.', port: 22 },
    { allow: true, rule: 0, reason: `acl rule 0 lets client "${CI}" reach gitlab.internal.acme.net:22 through agent "${ONPREM}"` }],
  ['port not listed for the pair', { client: CI, agent: ONPREM, host: 'gitlab.internal.acme.net', port: 80 },
    { allow: false, reason: `no acl rule lets client "${CI}" reach gitlab.internal.acme.net:80 through agent "${ONPREM}"` }],
  ['host not listed for the pair', { client: CI, agent: ONPREM, host: 'jira.internal.acme.net', port: 443 },
    { allow: false, reason: `no acl rule lets client "${CI}" reach jira.internal.acme.net:443 through agent "${ONPREM}"` }],
  ['suffix wildcard, any port, via a wildcard agent', { client: BUILD, agent: ONPREM, host: 'maven.artifacts.acme.net', port: 8081 },
    { allow: true, rule: 1, reason: `acl rule 1 lets client "${BUILD}" reach maven.artifacts.acme.net:8081 through agent "${ONPREM}"` }],
  ['"*." covers exactly one label, not deeper names', { client: CI, agent: DR, host: 'a.b.artifacts.acme.net', port: 443 },
    { allow: false, reason: `no acl rule lets client "${CI}" reach a.b.artifacts.acme.net:443 through agent "${DR}"` }],
  ['suffix wildcard does not cover the bare suffix', { client: BUILD, agent: ONPREM, host: 'artifacts.acme.net', port: 443 },
    { allow: false, reason: `no acl rule lets client "${BUILD}" reach artifacts.acme.net:443 through agent "${ONPREM}"` }],
  ['suffix wildcard does not cover a look-alike', { client: BUILD, agent: ONPREM, host: 'evilartifacts.acme.net', port: 443 },
    { allow: false, reason: `no acl rule lets client "${BUILD}" reach evilartifacts.acme.net:443 through agent "${ONPREM}"` }],
  ['rule without destinations allows any destination', { client: BUILD, agent: DR, host: 'anything.example', port: 5432 },
    { allow: true, rule: 2, reason: `acl rule 2 lets client "${BUILD}" reach anything.example:5432 through agent "${DR}"` }],
  ['identity glob is anchored', { client: 'build-7@clients.acme.causeway.evil', agent: DR, host: 'a', port: 1 },
    { allow: false, reason: 'no acl rule lets client "build-7@clients.acme.causeway.evil" use agent "acme-dr@agents.acme.causeway"' }],
  ['identity match is case-sensitive', { client: 'CI@clients.acme.causeway', agent: ONPREM, host: 'gitlab.internal.acme.net', port: 443 },
    { allow: false, reason: `no acl rule lets client "CI@clients.acme.causeway" reach gitlab.internal.acme.net:443 through agent "${ONPREM}"` }],
  ['agent of another tenant', { client: CI, agent: OTHER, host: 'gitlab.internal.acme.net', port: 443 },
    { allow: false, reason: `no acl rule lets client "${CI}" use agent "${OTHER}"` }],
  ['IP destination in a port range', { client: CI, agent: DR, host: '10.0.0.5', port: 8050 },
    { allow: true, rule: 3, reason: `acl rule 3 lets client "${CI}" reach 10.0.0.5:8050 through agent "${DR}"` }],
  ['IP destination in another notation', { client: CI, agent: DR, host: '0x0a000005', port: 8000 },
    { allow: true, rule: 3, reason: `acl rule 3 lets client "${CI}" reach 10.0.0.5:8000 through agent "${DR}"` }],
  ['IP destination outside the range', { client: CI, agent: DR, host: '10.0.0.5', port: 8101 },
    { allow: false, reason: `no acl rule lets client "${CI}" reach 10.0.0.5:8101 through agent "${DR}"` }],
  ['IPv6 destination', { client: CI, agent: DR, host: '[FD00:0::5]', port: 443 },
    { allow: true, rule: 3, reason: `acl rule 3 lets client "${CI}" reach [fd00::5]:443 through agent "${DR}"` }],
  ['any host on one port', { client: CI, agent: DR, host: 'git.example.org', port: 9418 },
    { allow: true, rule: 3, reason: `acl rule 3 lets client "${CI}" reach git.example.org:9418 through agent "${DR}"` }],
  ['invalid port', { client: CI, agent: ONPREM, host: 'gitlab.internal.acme.net', port: 0 },
    { allow: false, reason: 'port 0 is not a valid port' }],
  ['invalid host', { client: CI, agent: ONPREM, host: 'gitlab internal', port: 443 },
    { allow: false, reason: '"gitlab internal" is not a valid host name or IP address' }],
  ['zone id', { client: CI, agent: DR, host: 'fe80::1%eth0', port: 9418 },
    { allow: false, reason: 'IPv6 zone ids are refused: "fe80::1%eth0"' }],
];

describe('decideAcl', () => {
  for (const [name, request, expected] of rows) {
    it(`${expected.allow ? 'allows' : 'denies'}: ${name}`, () => assert.deepEqual(decideAcl(acl, request), expected));
  }

  it('denies everything when there are no rules', () => {
    assert.deepEqual(decideAcl(compileAcl([]), { client: CI, agent: ONPREM, host: 'a', port: 1 }), {
      allow: false,
      reason: `no acl rule lets client "${CI}" use agent "${ONPREM}"`,
    });
  });
});

describe('agentsAllowedFor', () => {
  it('keeps the candidates the client may use for the target, in order', () => {
    assert.deepEqual(agentsAllowedFor(acl, CI, 'gitlab.internal.acme.net', 443, [DR, OTHER, ONPREM]), [ONPREM]);
    assert.deepEqual(agentsAllowedFor(acl, CI, 'x.artifacts.acme.net', 443, [DR, OTHER, ONPREM]), [DR, ONPREM]);
    assert.deepEqual(agentsAllowedFor(acl, 'nobody@x', 'x.artifacts.acme.net', 443, [DR, ONPREM]), []);
  });
});

describe('compileAcl', () => {
  const bad: ReadonlyArray<readonly [string, Parameters<typeof compileAcl>[0], string]> = [
    ['empty client pattern', [{ clients: [''], agents: ['a'] }], 'acl rule 0: clients: "" is not an identity pattern'],
    ['pattern with whitespace', [{ clients: ['a'], agents: ['a b'] }], 'acl rule 0: agents: "a b" is not an identity pattern'],
    ['destination without port', [{ clients: ['a'], agents: ['b'] }, { clients: ['a'], agents: ['b'], destinations: ['gitlab'] }], 'acl rule 1: destinations: "gitlab" is not a destination pattern'],
  ];
  for (const [name, rules, message] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(() => compileAcl(rules), (error: unknown) => error instanceof PolicyError && error.code === 'ERR_POLICY_INVALID_RULE' && error.message === message);
    });
  }

  it('freezes the compiled acl', () => {
    assert.ok(Object.isFrozen(acl) && Object.isFrozen(acl.rules) && Object.isFrozen(acl.rules[0]?.destinations));
  });
});
