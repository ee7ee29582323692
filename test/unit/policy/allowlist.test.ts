import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileAllowlist, decideAddress, decideName, summarize, summaryCovers } from '../../../src/policy/allowlist.js';
import type { AllowEntry } from '../../../src/policy/allowlist.js';
import type { Decision } from '../../../src/policy/decision.js';
import { PolicyError } from '../../../src/policy/errors.js';

const allowlist = compileAllowlist([
  /* 0 */ { host: 'gitlab.internal.acme.net', ports: [443, 22] },
  /* 1 */ { host: 'Artifactory.Internal.Acme.Net.', ports: ['8000-8100'] },
  /* 2 */ { host: 'git.demo.internal', ports: [22], allowLoopback: true },
  /* 3 */ { host: '127.0.0.1', ports: [5432] },
  /* 4 */ { host: '169.254.169.254', ports: [80] },
  /* 5 */ { host: 'gitlab.internal.acme.net', ports: [8443], allowLoopback: true },
  /* 6 */ { host: '::1', ports: [6379] },
]);

describe('decideName', () => {
  const rows: ReadonlyArray<readonly [string, string, number, Decision]> = [
    ['listed name and port', 'gitlab.internal.acme.net', 443, { allow: true, rule: 0, reason: 'allowlist entry 0 allows gitlab.internal.acme.net:443' }],
    ['name case and trailing dot ignored', 'GITLAB.internal.acme.net.', 22, { allow: true, rule: 0, reason: 'allowlist entry 0 allows gitlab.internal.acme.net:22' }],
    ['entry written in mixed case', 'artifactory.internal.acme.net', 8100, { allow: true, rule: 1, reason: 'allowlist entry 1 allows artifactory.internal.acme.net:8100' }],
    ['second entry for the same name', 'gitlab.internal.acme.net', 8443, { allow: true, rule: 5, reason: 'allowlist entry 5 allows gitlab.internal.acme.net:8443' }],
    ['port outside the range', 'artifactory.internal.acme.net', 8101, { allow: false, reason: 'port 8101 is not allowed for artifactory.internal.acme.net by the agent\'s allowlist' }],
    ['port not listed', 'gitlab.internal.acme.net', 80, { allow: false, reason: 'port 80 is not allowed for gitlab.internal.acme.net by the agent\'s allowlist' }],
    ['name not listed', 'jira.internal.acme.net', 443, { allow: false, reason: 'jira.internal.acme.net is not on the agent\'s allowlist' }],
    ['subdomain of a listed name', 'x.gitlab.internal.acme.net', 443, { allow: false, reason: 'x.gitlab.internal.acme.net is not on the agent\'s allowlist' }],
    ['listed IP', '127.0.0.1', 5432, { allow: true, rule: 3, reason: 'allowlist entry 3 allows 127.0.0.1:5432' }],
    ['listed IP in short notation', '127.1', 5432, { allow: true, rule: 3, reason: 'allowlist entry 3 allows 127.0.0.1:5432' }],
    ['listed IP in hex', '0x7f000001', 5432, { allow: true, rule: 3, reason: 'allowlist entry 3 allows 127.0.0.1:5432' }],
    ['listed IP, IPv4-mapped IPv6', '::ffff:7f00:1', 5432, { allow: true, rule: 3, reason: 'allowlist entry 3 allows 127.0.0.1:5432' }],
    ['listed IPv6 in brackets', '[0:0::1]', 6379, { allow: true, rule: 6, reason: 'allowlist entry 6 allows [::1]:6379' }],
    ['unlisted IP', '10.0.0.1', 5432, { allow: false, reason: '10.0.0.1 is not on the agent\'s allowlist' }],
    ['name "localhost" is not the IP', 'localhost', 5432, { allow: false, reason: 'localhost is not on the agent\'s allowlist' }],
    ['zone id', 'fe80::1%eth0', 22, { allow: false, reason: 'IPv6 zone ids are refused: "fe80::1%eth0"' }],
    ['invalid host', 'gitlab/../x', 443, { allow: false, reason: '"gitlab/../x" is not a valid host name or IP address' }],
    ['port 0', 'gitlab.internal.acme.net', 0, { allow: false, reason: 'port 0 is not a valid port' }],
    ['port above 65535', 'gitlab.internal.acme.net', 65536, { allow: false, reason: 'port 65536 is not a valid port' }],
    ['fractional port', 'gitlab.internal.acme.net', 443.5, { allow: false, reason: 'port 443.5 is not a valid port' }],
  ];
  for (const [name, host, port, expected] of rows) {
    it(`${expected.allow ? 'allows' : 'refuses'}: ${name}`, () => assert.deepEqual(decideName(allowlist, host, port), expected));
  }

  it('refuses everything when the allowlist is empty', () => {
    assert.equal(decideName(compileAllowlist([]), 'gitlab.internal.acme.net', 443).allow, false);
  });
});

describe('decideAddress', () => {
  const rows: ReadonlyArray<readonly [string, string, string, number, Decision]> = [
    ['name resolved to a private address', 'gitlab.internal.acme.net', '10.20.30.40', 443,
      { allow: true, rule: 0, reason: 'allowlist entry 0 allows gitlab.internal.acme.net:443 at 10.20.30.40' }],
    ['name resolved to a private IPv6 address', 'gitlab.internal.acme.net', 'FD12::1', 22,
      { allow: true, rule: 0, reason: 'allowlist entry 0 allows gitlab.internal.acme.net:22 at fd12::1' }],
    ['name resolved to loopback', 'gitlab.internal.acme.net', '127.0.0.1', 443,
      { allow: false, rule: 0, reason: 'gitlab.internal.acme.net resolved to loopback address 127.0.0.1, which is refused; set allowLoopback on the entry to permit it' }],
    ['name resolved to loopback in another notation', 'gitlab.internal.acme.net', '::ffff:7f00:1', 443,
      { allow: false, rule: 0, reason: 'gitlab.internal.acme.net resolved to loopback address 127.0.0.1, which is refused; set allowLoopback on the entry to permit it' }],
    ['name resolved to IPv6 loopback', 'gitlab.internal.acme.net', '::1', 22,
      { allow: false, rule: 0, reason: 'gitlab.internal.acme.net resolved to loopback address ::1, which is refused; set allowLoopback on the entry to permit it' }],
    ['name resolved to loopback, entry sets allowLoopback', 'git.demo.internal', '127.0.0.1', 22,
      { allow: true, rule: 2, reason: 'allowlist entry 2 allows git.demo.internal:22 at 127.0.0.1' }],
    ['allowLoopback on another port\'s entry only', 'gitlab.internal.acme.net', '127.0.0.1', 8443,
      { allow: true, rule: 5, reason: 'allowlist entry 5 allows gitlab.internal.acme.net:8443 at 127.0.0.1' }],
    ['allowLoopback does not extend to link-local', 'git.demo.internal', '169.254.10.10', 22,
      { allow: false, rule: 2, reason: 'git.demo.internal resolved to link-local address 169.254.10.10, which is refused; list the address itself to permit it' }],
    ['name resolved to cloud metadata', 'git.demo.internal', '169.254.169.254', 22,
      { allow: false, rule: 2, reason: 'git.demo.internal resolved to cloud metadata address 169.254.169.254, which is refused' }],
    ['name resolved to AWS IPv6 metadata', 'gitlab.internal.acme.net', 'fd00:ec2::254', 443,
      { allow: false, rule: 0, reason: 'gitlab.internal.acme.net resolved to cloud metadata address fd00:ec2::254, which is refused' }],
    ['name resolved to metadata, IPv4-mapped', 'gitlab.internal.acme.net', '::ffff:169.254.169.254', 443,
      { allow: false, rule: 0, reason: 'gitlab.internal.acme.net resolved to cloud metadata address 169.254.169.254, which is refused' }],
    ['name resolved to IPv6 link-local', 'gitlab.internal.acme.net', 'fe80::1', 443,
      { allow: false, rule: 0, reason: 'gitlab.internal.acme.net resolved to link-local address fe80::1, which is refused; list the address itself to permit it' }],
    ['name resolved to unspecified', 'gitlab.internal.acme.net', '0.0.0.0', 443,
      { allow: false, rule: 0, reason: 'gitlab.internal.acme.net resolved to unspecified address 0.0.0.0, which is refused; list the address itself to permit it' }],
    ['name resolved to IPv6 unspecified', 'gitlab.internal.acme.net', '::', 443,
      { allow: false, rule: 0, reason: 'gitlab.internal.acme.net resolved to unspecified address ::, which is refused; list the address itself to permit it' }],
    ['name resolved to multicast', 'gitlab.internal.acme.net', '239.1.2.3', 443,
      { allow: false, rule: 0, reason: 'gitlab.internal.acme.net resolved to multicast address 239.1.2.3, which is refused; list the address itself to permit it' }],
    ['name resolved to broadcast', 'gitlab.internal.acme.net', '255.255.255.255', 443,
      { allow: false, rule: 0, reason: 'gitlab.internal.acme.net resolved to broadcast address 255.255.255.255, which is refused; list the address itself to permit it' }],
    ['loopback listed explicitly by IP', '127.0.0.1', '127.0.0.1', 5432,
      { allow: true, rule: 3, reason: 'allowlist entry 3 lists 127.0.0.1:5432 explicitly' }],
    ['loopback listed explicitly, asked in hex', '0x7f000001', '0x7f000001', 5432,
      { allow: true, rule: 3, reason: 'allowlist entry 3 lists 127.0.0.1:5432 explicitly' }],
    ['metadata listed explicitly by IP', '169.254.169.254', '169.254.169.254', 80,
      { allow: true, rule: 4, reason: 'allowlist entry 4 lists 169.254.169.254:80 explicitly' }],
    ['IP entry dialled at another address', '127.0.0.1', '127.0.0.2', 5432,
      { allow: false, rule: 3, reason: 'address 127.0.0.2 is not the listed address 127.0.0.1' }],
    ['zone id in the resolved address', 'gitlab.internal.acme.net', 'fe80::1%eth0', 443,
      { allow: false, reason: 'IPv6 zone ids are refused: "fe80::1%eth0"' }],
    ['resolved address is not an IP', 'gitlab.internal.acme.net', 'gitlab', 443,
      { allow: false, reason: '"gitlab" is not an IP address' }],
    ['host not listed at all', 'jira.internal.acme.net', '10.0.0.1', 443,
      { allow: false, reason: 'jira.internal.acme.net is not on the agent\'s allowlist' }],
    ['port not listed for the host', 'gitlab.internal.acme.net', '10.0.0.1', 80,
      { allow: false, reason: 'port 80 is not allowed for gitlab.internal.acme.net by the agent\'s allowlist' }],
  ];
  for (const [name, host, ip, port, expected] of rows) {
    it(`${expected.allow ? 'allows' : 'refuses'}: ${name}`, () => assert.deepEqual(decideAddress(allowlist, host, ip, port), expected));
  }
});

describe('summarize / summaryCovers', () => {
  const summary = summarize(allowlist);

  it('lists each host once with merged port ranges', () => {
    assert.deepEqual(summary, [
      { host: 'gitlab.internal.acme.net', ports: [{ first: 22, last: 22 }, { first: 443, last: 443 }, { first: 8443, last: 8443 }] },
      { host: 'artifactory.internal.acme.net', ports: [{ first: 8000, last: 8100 }] },
      { host: 'git.demo.internal', ports: [{ first: 22, last: 22 }] },
      { host: '127.0.0.1', ports: [{ first: 5432, last: 5432 }] },
      { host: '169.254.169.254', ports: [{ first: 80, last: 80 }] },
      { host: '::1', ports: [{ first: 6379, last: 6379 }] },
    ]);
  });

  const rows: ReadonlyArray<readonly [string, number, boolean]> = [
    ['gitlab.internal.acme.net', 443, true],
    ['GitLab.Internal.Acme.Net.', 8443, true],
    ['gitlab.internal.acme.net', 80, false],
    ['artifactory.internal.acme.net', 8050, true],
    ['127.1', 5432, true],
    ['[::1]', 6379, true],
    ['jira.internal.acme.net', 443, false],
    ['gitlab.internal.acme.net', 0, false],
    ['not a host', 443, false],
  ];
  for (const [host, port, expected] of rows) {
    it(`${expected ? 'covers' : 'does not cover'} ${host}:${port}`, () => assert.equal(summaryCovers(summary, host, port), expected));
  }

  it('canonicalises a summary written by a peer', () => {
    assert.equal(summaryCovers([{ host: 'GitLab.Acme.Net.', ports: [{ first: 1, last: 100 }] }], 'gitlab.acme.net', 22), true);
    assert.equal(summaryCovers([{ host: 'bad host', ports: [{ first: 1, last: 100 }] }], 'bad host', 22), false);
  });
});

describe('compileAllowlist', () => {
  const bad: ReadonlyArray<readonly [string, AllowEntry[], string]> = [
    ['invalid host', [{ host: 'a b', ports: [1] }], 'allowlist entry 0: "a b" is not a valid host name or IP address'],
    ['zone id', [{ host: 'a', ports: [1] }, { host: 'fe80::1%eth0', ports: [1] }], 'allowlist entry 1: IPv6 zone ids are refused: "fe80::1%eth0"'],
    ['no ports', [{ host: 'a', ports: [] }], 'allowlist entry 0: no ports listed'],
    ['bad port', [{ host: 'a', ports: [443, 'http'] }], 'allowlist entry 0: "http" is not a port from 1 to 65535 or a range of them'],
  ];
  for (const [name, entries, message] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(() => compileAllowlist(entries), (error: unknown) => error instanceof PolicyError && error.message === message);
    });
  }

  it('freezes the compiled allowlist', () => {
    assert.ok(Object.isFrozen(allowlist.entries[0]?.ports));
  });
});
