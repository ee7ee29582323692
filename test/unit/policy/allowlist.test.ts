import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileAllowlist, decideAddress, decideName, summarize, summaryCovers } from '../../../src/policy/allowlist.js';
import type { AllowEntry } from '../../../src/policy/allowlist.js';
import type { Decision } from '../../../src/policy/decision.js';
import { PolicyError } from '../../../src/policy/errors.js';
import type { SelfEndpoints } from '../../../src/policy/self-endpoint.js';

const allowlist = compileAllowlist([
  /* 0 */ { host: 'gitlab.internal.acme.net', ports: [443, 22] },
  /* 1 */ { host: 'Artifactory.Internal.Acme.Net.', ports: ['8000-8100'] },
  /* 2 */ { host: 'git.demo.internal', ports: [22], allowLoopback: true },
  /* 3 */ { host: '127.0.0.1', ports: [5432] },
  /* 4 */ { host: '169.254.169.254', ports: [80] },
  /* 5 */ { host: 'gitlab.internal.acme.net', ports: [8443], allowLoopback: true },
  /* 6 */ { host: '::1', ports: [6379] },
  /* 7 */ { host: '*.corp.example', ports: [443] },
  /* 8 */ { host: '**.build.example', ports: [443, '9000-9010'] },
  /* 9 */ { host: '10.20.0.0/16', ports: [22] },
  /* 10 */ { host: '0.0.0.0/0', ports: [8080] },
  /* 11 */ { host: '127.0.0.0/8', ports: [9999] },
  /* 12 */ { host: 'fd00::/8', ports: [443] },
  /* 13 */ { host: 'Bücher.Example', ports: [443] },
  /* 14 */ { host: '169.254.0.0/16', ports: [81] },
]);

const allow = (rule: number, reason: string): Decision => ({ allow: true, rule, reason });
const deny = (reason: string, rule?: number): Decision => (rule === undefined ? { allow: false, reason } : { allow: false, reason, rule });
const NOT_LISTED = (host: string): Decision => deny(`${host} is not on the agent's allowlist`);
const WRONG_PORT = (host: string, port: number): Decision => deny(`port ${port} is not allowed for ${host} by the agent's allowlist`);

describe('decideName', () => {
  const rows: ReadonlyArray<readonly [string, string, number, Decision]> = [
    ['listed name and port', 'gitlab.internal.acme.net', 443, allow(0, 'allowlist entry 0 (gitlab.internal.acme.net) allows gitlab.internal.acme.net:443')],
    ['name case and trailing dot ignored', 'GITLAB.internal.acme.net.', 22, allow(0, 'allowlist entry 0 (gitlab.internal.acme.net) allows gitlab.internal.acme.net:22')],
    ['entry written in mixed case with trailing dot', 'artifactory.internal.acme.net', 8100, allow(1, 'allowlist entry 1 (artifactory.internal.acme.net) allows artifactory.internal.acme.net:8100')],
    ['rule order: a later entry for the same name with another port', 'gitlab.internal.acme.net', 8443, allow(5, 'allowlist entry 5 (gitlab.internal.acme.net) allows gitlab.internal.acme.net:8443')],
    ['port just outside the range', 'artifactory.internal.acme.net', 8101, WRONG_PORT('artifactory.internal.acme.net', 8101)],
    ['port just below the range', 'artifactory.internal.acme.net', 7999, WRONG_PORT('artifactory.internal.acme.net', 7999)],
    ['port not listed', 'gitlab.internal.acme.net', 80, WRONG_PORT('gitlab.internal.acme.net', 80)],
    ['name not listed', 'jira.internal.acme.net', 443, NOT_LISTED('jira.internal.acme.net')],
    ['subdomain of an exact name', 'x.gitlab.internal.acme.net', 443, NOT_LISTED('x.gitlab.internal.acme.net')],
    ['IDN written in Unicode', 'BÜCHER.example', 443, allow(13, 'allowlist entry 13 (xn--bcher-kva.example) allows xn--bcher-kva.example:443')],
    ['IDN written as punycode', 'xn--bcher-kva.example.', 443, allow(13, 'allowlist entry 13 (xn--bcher-kva.example) allows xn--bcher-kva.example:443')],
    ['IDN look-alike is another name', 'bucher.example', 443, NOT_LISTED('bucher.example')],
    // wildcard edges: `*.` covers exactly one label, `**.` one or more; neither covers the bare suffix
    ['"*." covers one label', 'git.corp.example', 443, allow(7, 'allowlist entry 7 (*.corp.example) allows git.corp.example:443')],
    ['"*." with trailing dot and case', 'GIT.Corp.Example.', 443, allow(7, 'allowlist entry 7 (*.corp.example) allows git.corp.example:443')],
    ['"*." does not cover two labels', 'a.git.corp.example', 443, NOT_LISTED('a.git.corp.example')],
    ['"*." does not cover the bare suffix', 'corp.example', 443, NOT_LISTED('corp.example')],
    ['"*." does not cover the bare suffix with a trailing dot', 'corp.example.', 443, NOT_LISTED('corp.example')],
    ['"*." does not cover a look-alike suffix', 'evil-corp.example', 443, NOT_LISTED('evil-corp.example')],
    ['"*." does not cover a name that merely contains the suffix', 'corp.example.evil.net', 443, NOT_LISTED('corp.example.evil.net')],
    ['"*." port mismatch', 'git.corp.example', 80, WRONG_PORT('git.corp.example', 80)],
    ['"**." covers one label', 'ci.build.example', 9005, allow(8, 'allowlist entry 8 (**.build.example) allows ci.build.example:9005')],
    ['"**." covers several labels', 'a.b.c.build.example', 443, allow(8, 'allowlist entry 8 (**.build.example) allows a.b.c.build.example:443')],
    ['"**." does not cover the bare suffix', 'build.example', 443, NOT_LISTED('build.example')],
    ['"**." does not cover a look-alike', 'evilbuild.example', 443, NOT_LISTED('evilbuild.example')],
    // IPs and CIDRs: matched against IP literals in every notation, never against names
    ['listed IP', '127.0.0.1', 5432, allow(3, 'allowlist entry 3 (127.0.0.1) allows 127.0.0.1:5432')],
    ['listed IP, short notation', '127.1', 5432, allow(3, 'allowlist entry 3 (127.0.0.1) allows 127.0.0.1:5432')],
    ['listed IP, hex', '0x7f000001', 5432, allow(3, 'allowlist entry 3 (127.0.0.1) allows 127.0.0.1:5432')],
    ['listed IP, decimal', '2130706433', 5432, allow(3, 'allowlist entry 3 (127.0.0.1) allows 127.0.0.1:5432')],
    ['listed IP, octal', '0177.0.0.1', 5432, allow(3, 'allowlist entry 3 (127.0.0.1) allows 127.0.0.1:5432')],
    ['listed IP, IPv4-mapped IPv6', '::ffff:7f00:1', 5432, allow(3, 'allowlist entry 3 (127.0.0.1) allows 127.0.0.1:5432')],
    ['listed IP, bracketed IPv4-mapped', '[::ffff:127.0.0.1]', 5432, allow(3, 'allowlist entry 3 (127.0.0.1) allows 127.0.0.1:5432')],
    ['listed IPv6 in brackets', '[0:0::1]', 6379, allow(6, 'allowlist entry 6 (::1) allows [::1]:6379')],
    ['IP in a CIDR', '10.20.3.4', 22, allow(9, 'allowlist entry 9 (10.20.0.0/16) allows 10.20.3.4:22')],
    ['IP in a CIDR, other notation', '0x0a140304', 22, allow(9, 'allowlist entry 9 (10.20.0.0/16) allows 10.20.3.4:22')],
    ['IP just outside a CIDR (0.0.0.0/0 lists it for 8080 only)', '10.21.0.0', 22, WRONG_PORT('10.21.0.0', 22)],
    ['IPv6 in a CIDR', 'FD12::1', 443, allow(12, 'allowlist entry 12 (fd00::/8) allows [fd12::1]:443')],
    ['a CIDR does not cover a name', 'gitlab.internal.acme.net', 8080, WRONG_PORT('gitlab.internal.acme.net', 8080)],
    ['IP on an unlisted port', '10.0.0.1', 5432, WRONG_PORT('10.0.0.1', 5432)],
    ['unlisted IPv6', '2001:db8::1', 443, NOT_LISTED('2001:db8::1')],
    ['"0" is 0.0.0.0, an IP', '0', 8080, allow(10, 'allowlist entry 10 (0.0.0.0/0) allows 0.0.0.0:8080')],
    ['name "localhost" is not the IP', 'localhost', 5432, NOT_LISTED('localhost')],
    ['zone id', 'fe80::1%eth0', 22, deny('IPv6 zone ids are refused: "fe80::1%eth0"')],
    ['bracketed zone id', '[fe80::1%25eth0]', 22, deny('IPv6 zone ids are refused: "[fe80::1%25eth0]"')],
    ['numeric last label that is no IP', '127.0.0.1.1', 5432, deny('"127.0.0.1.1" is not a valid host name or IP address')],
    ['percent-escape', 'gitlab%2einternal.acme.net', 443, deny('"gitlab%2einternal.acme.net" is not a valid host name or IP address')],
    ['invalid host', 'gitlab/../x', 443, deny('"gitlab/../x" is not a valid host name or IP address')],
    ['port 0', 'gitlab.internal.acme.net', 0, deny('port 0 is not a valid port')],
    ['port above 65535', 'gitlab.internal.acme.net', 65536, deny('port 65536 is not a valid port')],
    ['fractional port', 'gitlab.internal.acme.net', 443.5, deny('port 443.5 is not a valid port')],
  ];
  for (const [name, host, port, expected] of rows) {
    it(`${expected.allow ? 'allows' : 'refuses'}: ${name}`, () => assert.deepEqual(decideName(allowlist, host, port), expected));
  }

  it('refuses everything when the allowlist is empty', () => {
    assert.deepEqual(decideName(compileAllowlist([]), 'gitlab.internal.acme.net', 443), NOT_LISTED('gitlab.internal.acme.net'));
  });
});

describe('decideAddress', () => {
  const LOOPBACK_HINT = '; set allowLoopback on the entry, or list the address itself, to permit it';
  const RANGE_HINT = '; list the address itself, or a CIDR within its range, to permit it';
  const METADATA_HINT = '; only an entry with this exact IP permits it';
  const rows: ReadonlyArray<readonly [string, string, string, number, Decision]> = [
    ['name resolved to a private address', 'gitlab.internal.acme.net', '10.20.30.40', 443,
      allow(0, 'allowlist entry 0 (gitlab.internal.acme.net) allows gitlab.internal.acme.net:443 at 10.20.30.40')],
    ['name resolved to a private IPv6 address', 'gitlab.internal.acme.net', 'FD12::1', 22,
      allow(0, 'allowlist entry 0 (gitlab.internal.acme.net) allows gitlab.internal.acme.net:22 at fd12::1')],
    ['wildcard name resolved to a private address', 'git.corp.example', '10.1.1.1', 443,
      allow(7, 'allowlist entry 7 (*.corp.example) allows git.corp.example:443 at 10.1.1.1')],
    ['name resolved to loopback', 'gitlab.internal.acme.net', '127.0.0.1', 443,
      deny(`gitlab.internal.acme.net resolved to loopback address 127.0.0.1, which is refused${LOOPBACK_HINT}`, 0)],
    ['name resolved to loopback in another notation', 'gitlab.internal.acme.net', '::ffff:7f00:1', 443,
      deny(`gitlab.internal.acme.net resolved to loopback address 127.0.0.1, which is refused${LOOPBACK_HINT}`, 0)],
    ['name resolved to IPv6 loopback', 'gitlab.internal.acme.net', '::1', 22,
      deny(`gitlab.internal.acme.net resolved to loopback address ::1, which is refused${LOOPBACK_HINT}`, 0)],
    ['name resolved to loopback, entry sets allowLoopback', 'git.demo.internal', '127.0.0.1', 22,
      allow(2, 'allowlist entry 2 (git.demo.internal) allows git.demo.internal:22 at loopback 127.0.0.1 (allowLoopback)')],
    ['allowLoopback on the entry for this port only', 'gitlab.internal.acme.net', '127.0.0.1', 8443,
      allow(5, 'allowlist entry 5 (gitlab.internal.acme.net) allows gitlab.internal.acme.net:8443 at loopback 127.0.0.1 (allowLoopback)')],
    ['allowLoopback does not extend to link-local', 'git.demo.internal', '169.254.10.10', 22,
      deny(`git.demo.internal resolved to link-local address 169.254.10.10, which is refused${RANGE_HINT}`, 2)],
    ['name resolved to cloud metadata', 'git.demo.internal', '169.254.169.254', 22,
      deny(`git.demo.internal resolved to cloud metadata address 169.254.169.254, which is refused${METADATA_HINT}`, 2)],
    ['name resolved to AWS IPv6 metadata', 'gitlab.internal.acme.net', 'fd00:ec2::254', 443,
      deny(`gitlab.internal.acme.net resolved to cloud metadata address fd00:ec2::254, which is refused${METADATA_HINT}`, 0)],
    ['name resolved to metadata, IPv4-mapped hex', 'gitlab.internal.acme.net', '::ffff:a9fe:a9fe', 443,
      deny(`gitlab.internal.acme.net resolved to cloud metadata address 169.254.169.254, which is refused${METADATA_HINT}`, 0)],
    ['name resolved to IPv6 link-local', 'gitlab.internal.acme.net', 'fe80::1', 443,
      deny(`gitlab.internal.acme.net resolved to link-local address fe80::1, which is refused${RANGE_HINT}`, 0)],
    ['name resolved to unspecified', 'gitlab.internal.acme.net', '0.0.0.0', 443,
      deny(`gitlab.internal.acme.net resolved to unspecified address 0.0.0.0, which is refused${RANGE_HINT}`, 0)],
    ['name resolved to IPv6 unspecified', 'gitlab.internal.acme.net', '::', 443,
      deny(`gitlab.internal.acme.net resolved to unspecified address ::, which is refused${RANGE_HINT}`, 0)],
    ['name resolved to multicast', 'gitlab.internal.acme.net', '239.1.2.3', 443,
      deny(`gitlab.internal.acme.net resolved to multicast address 239.1.2.3, which is refused${RANGE_HINT}`, 0)],
    ['name resolved to IPv6 multicast', 'gitlab.internal.acme.net', 'ff02::1', 443,
      deny(`gitlab.internal.acme.net resolved to multicast address ff02::1, which is refused${RANGE_HINT}`, 0)],
    ['name resolved to broadcast', 'gitlab.internal.acme.net', '255.255.255.255', 443,
      deny(`gitlab.internal.acme.net resolved to broadcast address 255.255.255.255, which is refused${RANGE_HINT}`, 0)],
    ['name resolved to a loopback address another entry names, same port', 'gitlab.internal.acme.net', '127.0.0.1', 443,
      deny(`gitlab.internal.acme.net resolved to loopback address 127.0.0.1, which is refused${LOOPBACK_HINT}`, 0)],
    ['name resolved to a loopback address an IP entry names for this port', 'artifactory.internal.acme.net', '127.0.0.5', 8000,
      deny(`artifactory.internal.acme.net resolved to loopback address 127.0.0.5, which is refused${LOOPBACK_HINT}`, 1)],
    ['loopback listed explicitly by IP', '127.0.0.1', '127.0.0.1', 5432,
      allow(3, 'allowlist entry 3 (127.0.0.1) names loopback address 127.0.0.1 explicitly for port 5432')],
    ['loopback listed explicitly, asked in hex', '0x7f000001', '0x7f000001', 5432,
      allow(3, 'allowlist entry 3 (127.0.0.1) names loopback address 127.0.0.1 explicitly for port 5432')],
    ['loopback named by a CIDR inside loopback', '127.9.9.9', '127.9.9.9', 9999,
      allow(11, 'allowlist entry 11 (127.0.0.0/8) names loopback address 127.9.9.9 explicitly for port 9999')],
    ['0.0.0.0/0 allows a private address', '10.9.9.9', '10.9.9.9', 8080,
      allow(10, 'allowlist entry 10 (0.0.0.0/0) allows 10.9.9.9:8080 at 10.9.9.9')],
    ['0.0.0.0/0 does not name loopback', '127.0.0.1', '127.0.0.1', 8080,
      deny(`127.0.0.1 is a loopback address, which is refused${RANGE_HINT}`, 10)],
    ['0.0.0.0/0 does not name loopback written as 127.1', '127.1', '127.1', 8080,
      deny(`127.0.0.1 is a loopback address, which is refused${RANGE_HINT}`, 10)],
    ['0.0.0.0/0 does not name metadata', '169.254.169.254', '169.254.169.254', 8080,
      deny(`169.254.169.254 is a cloud metadata address, which is refused${METADATA_HINT}`, 10)],
    ['0.0.0.0/0 does not name "0"', '0', '0', 8080,
      deny(`0.0.0.0 is a unspecified address, which is refused${RANGE_HINT}`, 10)],
    ['0.0.0.0/0 does not name multicast', '224.0.0.1', '224.0.0.1', 8080,
      deny(`224.0.0.1 is a multicast address, which is refused${RANGE_HINT}`, 10)],
    ['a link-local CIDR names link-local', '169.254.1.1', '169.254.1.1', 81,
      allow(14, 'allowlist entry 14 (169.254.0.0/16) names link-local address 169.254.1.1 explicitly for port 81')],
    ['a link-local CIDR does not name metadata', '169.254.169.254', '169.254.169.254', 81,
      deny(`169.254.169.254 is a cloud metadata address, which is refused${METADATA_HINT}`, 14)],
    ['metadata listed explicitly by IP', '169.254.169.254', '169.254.169.254', 80,
      allow(4, 'allowlist entry 4 (169.254.169.254) names cloud metadata address 169.254.169.254 explicitly for port 80')],
    ['asked IP dialled at another address', '127.0.0.1', '127.0.0.2', 5432,
      deny('address 127.0.0.2 is not the requested address 127.0.0.1', 3)],
    ['zone id in the resolved address', 'gitlab.internal.acme.net', 'fe80::1%eth0', 443,
      deny('IPv6 zone ids are refused: "fe80::1%eth0"')],
    ['resolved address is not an IP', 'gitlab.internal.acme.net', 'gitlab', 443,
      deny('"gitlab" is not an IP address')],
    ['host not listed at all', 'jira.internal.acme.net', '10.0.0.1', 443, NOT_LISTED('jira.internal.acme.net')],
    ['port not listed for the host', 'gitlab.internal.acme.net', '10.0.0.1', 80, WRONG_PORT('gitlab.internal.acme.net', 80)],
  ];
  for (const [name, host, ip, port, expected] of rows) {
    it(`${expected.allow ? 'allows' : 'refuses'}: ${name}`, () => assert.deepEqual(decideAddress(allowlist, host, ip, port), expected));
  }
});

describe('decideAddress: the agent itself is never reachable', () => {
  const ADMIN = 9091;
  const self: SelfEndpoints = { ports: [ADMIN], addresses: new Set(['192.168.1.10', 'fd00::10']) };
  const wide = compileAllowlist([
    { host: 'admin.corp.example', ports: ['1-65535'], allowLoopback: true },
    { host: '127.0.0.0/8', ports: ['1-65535'] },
    { host: '192.168.0.0/16', ports: ['1-65535'] },
    { host: 'fd00::/8', ports: ['1-65535'] },
    { host: '0.0.0.0', ports: [ADMIN] },
  ]);
  const own = (ip: string): Decision => deny(`port ${ADMIN} at ${ip} is the agent's own admin endpoint, never reachable through the tunnel`);
  const rows: ReadonlyArray<readonly [string, string, string, number, Decision]> = [
    ['by loopback IP', '127.0.0.1', '127.0.0.1', ADMIN, own('127.0.0.1')],
    ['by another loopback IP', '127.0.0.2', '127.0.0.2', ADMIN, own('127.0.0.2')],
    ['by a name resolving to loopback', 'admin.corp.example', '127.0.0.1', ADMIN, own('127.0.0.1')],
    ['by IPv4-mapped loopback', '::ffff:127.0.0.1', '::ffff:127.0.0.1', ADMIN, own('127.0.0.1')],
    ['by unspecified "0"', '0', '0', ADMIN, own('0.0.0.0')],
    ['by an interface address', '192.168.1.10', '192.168.1.10', ADMIN, own('192.168.1.10')],
    ['by an IPv6 interface address', 'fd00::10', 'fd00::10', ADMIN, own('fd00::10')],
    ['another machine on the same port is fine', '192.168.1.11', '192.168.1.11', ADMIN,
      allow(2, `allowlist entry 2 (192.168.0.0/16) allows 192.168.1.11:${ADMIN} at 192.168.1.11`)],
    ['another port on loopback is fine when listed', '127.0.0.1', '127.0.0.1', 9092,
      allow(1, 'allowlist entry 1 (127.0.0.0/8) names loopback address 127.0.0.1 explicitly for port 9092')],
  ];
  for (const [name, host, ip, port, expected] of rows) {
    it(`${expected.allow ? 'allows' : 'refuses'}: ${name}`, () => assert.deepEqual(decideAddress(wide, host, ip, port, self), expected));
  }
});

describe('summarize / summaryCovers', () => {
  const summary = summarize(allowlist);

  it('lists each host pattern once with merged port ranges', () => {
    assert.deepEqual(summary.slice(0, 7), [
      { host: 'gitlab.internal.acme.net', ports: [{ first: 22, last: 22 }, { first: 443, last: 443 }, { first: 8443, last: 8443 }] },
      { host: 'artifactory.internal.acme.net', ports: [{ first: 8000, last: 8100 }] },
      { host: 'git.demo.internal', ports: [{ first: 22, last: 22 }] },
      { host: '127.0.0.1', ports: [{ first: 5432, last: 5432 }] },
      { host: '169.254.169.254', ports: [{ first: 80, last: 80 }] },
      { host: '::1', ports: [{ first: 6379, last: 6379 }] },
      { host: '*.corp.example', ports: [{ first: 443, last: 443 }] },
    ]);
    assert.deepEqual(summary.slice(7).map((e) => e.host), ['**.build.example', '10.20.0.0/16', '0.0.0.0/0', '127.0.0.0/8', 'fd00::/8', 'xn--bcher-kva.example', '169.254.0.0/16']);
  });

  const rows: ReadonlyArray<readonly [string, number, boolean]> = [
    ['gitlab.internal.acme.net', 443, true],
    ['GitLab.Internal.Acme.Net.', 8443, true],
    ['gitlab.internal.acme.net', 80, false],
    ['artifactory.internal.acme.net', 8050, true],
    ['127.1', 5432, true],
    ['[::1]', 6379, true],
    ['git.corp.example', 443, true],
    ['a.git.corp.example', 443, false],
    ['corp.example', 443, false],
    ['x.y.build.example', 9010, true],
    ['10.20.255.255', 22, true],
    ['10.21.0.0', 22, false],
    ['jira.internal.acme.net', 443, false],
    ['gitlab.internal.acme.net', 0, false],
    ['not a host', 443, false],
  ];
  for (const [host, port, expected] of rows) {
    it(`${expected ? 'covers' : 'does not cover'} ${host}:${port}`, () => assert.equal(summaryCovers(summary, host, port), expected));
  }

  it('canonicalises a summary written by a peer and ignores what does not parse', () => {
    assert.equal(summaryCovers([{ host: 'GitLab.Acme.Net.', ports: [{ first: 1, last: 100 }] }], 'gitlab.acme.net', 22), true);
    assert.equal(summaryCovers([{ host: 'bad host', ports: [{ first: 1, last: 100 }] }], 'bad host', 22), false);
    assert.equal(summaryCovers([{ host: '*', ports: [{ first: 1, last: 100 }] }], 'gitlab.acme.net', 22), false);
  });
});

describe('compileAllowlist', () => {
  const bad: ReadonlyArray<readonly [string, AllowEntry[], string]> = [
    ['invalid host', [{ host: 'a b', ports: [1] }], 'allowlist entry 0: "a b" is not a valid host name or IP address'],
    ['zone id', [{ host: 'a', ports: [1] }, { host: 'fe80::1%eth0', ports: [1] }], 'allowlist entry 1: IPv6 zone ids are refused: "fe80::1%eth0"'],
    ['"*" alone', [{ host: '*', ports: [1] }], 'allowlist entry 0: "*" would allow every host; list names, "*.suffix" patterns or CIDRs'],
    ['"*" inside a name', [{ host: 'a.*.net', ports: [1] }], 'allowlist entry 0: "a.*.net": "*" may only stand first, as "*.suffix" or "**.suffix"'],
    ['"*" glued to a label', [{ host: '*corp.example', ports: [1] }], 'allowlist entry 0: "*corp.example": "*" may only stand first, as "*.suffix" or "**.suffix"'],
    ['wildcard over an IP', [{ host: '*.10.0.0.1', ports: [1] }], 'allowlist entry 0: "*.10.0.0.1": the part after "*." must be a DNS name'],
    ['wildcard over nothing', [{ host: '*.', ports: [1] }], 'allowlist entry 0: "*.": the part after "*." must be a DNS name'],
    ['CIDR with host bits', [{ host: '10.1.0.0/8', ports: [1] }], 'allowlist entry 0: "10.1.0.0/8" has host bits set; did you mean 10.0.0.0/8?'],
    ['CIDR prefix too long', [{ host: '10.0.0.0/33', ports: [1] }], 'allowlist entry 0: "10.0.0.0/33" is not a CIDR like "10.0.0.0/8" or "fd00::/8"'],
    ['CIDR of a name', [{ host: 'corp.example/8', ports: [1] }], 'allowlist entry 0: "corp.example/8" is not a CIDR like "10.0.0.0/8" or "fd00::/8"'],
    ['CIDR with a zone id', [{ host: 'fe80::%eth0/64', ports: [1] }], 'allowlist entry 0: IPv6 zone ids are refused: "fe80::%eth0/64"'],
    ['no ports', [{ host: 'a', ports: [] }], 'allowlist entry 0: no ports listed'],
    ['bad port', [{ host: 'a', ports: [443, 'http'] }], 'allowlist entry 0: "http" is not a port from 1 to 65535 or a range of them'],
    ['reversed range', [{ host: 'a', ports: ['9000-8000'] }], 'allowlist entry 0: "9000-8000" is not a port from 1 to 65535 or a range of them'],
    ['port 0 in a range', [{ host: 'a', ports: ['0-10'] }], 'allowlist entry 0: "0-10" is not a port from 1 to 65535 or a range of them'],
  ];
  for (const [name, entries, message] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(() => compileAllowlist(entries), (error: unknown) => error instanceof PolicyError && error.message === message);
    });
  }

  it('canonicalises IPv4-mapped CIDRs to IPv4', () => {
    assert.deepEqual(summarize(compileAllowlist([{ host: '::ffff:10.0.0.0/104', ports: [1] }])).map((e) => e.host), ['10.0.0.0/8']);
  });

  it('ignores allowLoopback on IP and CIDR entries (they name their addresses themselves)', () => {
    const list = compileAllowlist([{ host: '10.0.0.0/8', ports: [1], allowLoopback: true }]);
    assert.equal(list.entries[0]?.allowLoopback, false);
  });

  it('freezes the compiled allowlist', () => {
    assert.ok(Object.isFrozen(allowlist.entries));
    assert.ok(Object.isFrozen(allowlist.entries[0]?.ports));
    assert.ok(Object.isFrozen(allowlist.entries[0]?.pattern));
  });
});
