import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDestination, matchesDestination, parseDestinationPattern } from '../../../src/policy/destination.js';
import { normalizeHost } from '../../../src/policy/host.js';
import type { CanonicalHost } from '../../../src/policy/host.js';

function host(text: string): CanonicalHost {
  const parsed = normalizeHost(text);
  assert.notEqual(parsed.kind, 'invalid');
  return parsed as CanonicalHost;
}

describe('parseDestinationPattern', () => {
  const valid: ReadonlyArray<readonly [string, unknown]> = [
    ['gitlab.internal.acme.net:443', 'gitlab.internal.acme.net:443'],
    ['GitLab.Acme.net.:22', 'gitlab.acme.net:22'],
    ['*.acme.net:443', '*.acme.net:443'],
    ['**.Acme.Net:443', '**.acme.net:443'],
    ['gitlab:*', 'gitlab:*'],
    ['*:9418', '*:9418'],
    ['10.0.0.5:8000-8100', '10.0.0.5:8000-8100'],
    ['0x0a000005:1', '10.0.0.5:1'],
    ['[::ffff:10.0.0.5]:1', '10.0.0.5:1'],
    ['10.0.0.0/8:22', '10.0.0.0/8:22'],
    ['[fd00::/8]:443', '[fd00::/8]:443'],
    ['bücher.example:443', 'xn--bcher-kva.example:443'],
  ];
  for (const [text, canonical] of valid) {
    it(`parses ${text} as ${canonical}`, () => {
      const parsed = parseDestinationPattern(text);
      assert.ok(parsed !== undefined);
      assert.equal(formatDestination(parsed), canonical);
    });
  }

  for (const text of ['gitlab', ':443', 'gitlab:', 'gitlab:0', 'gitlab:http', '::1:443', '*.:443', 'a.*.net:443', '*acme.net:443', '[fe80::1%eth0]:443', 'a b:1', '10.0.0.1/8:22', 'fd00::/8:443', '*.10.0.0.1:1']) {
    it(`refuses ${JSON.stringify(text)}`, () => assert.equal(parseDestinationPattern(text), undefined));
  }
});

describe('matchesDestination', () => {
  const rows: ReadonlyArray<readonly [string, string, number, boolean]> = [
    ['*.acme.net:443', 'git.acme.net', 443, true],
    ['*.acme.net:443', 'a.git.acme.net', 443, false],
    ['**.acme.net:443', 'a.git.acme.net', 443, true],
    ['**.acme.net:443', 'acme.net', 443, false],
    ['*.acme.net:443', 'acme.net.', 443, false],
    ['*.acme.net:443', 'evil-acme.net', 443, false],
    ['10.0.0.0/8:22', '10.255.0.1', 22, true],
    ['10.0.0.0/8:22', '11.0.0.1', 22, false],
    ['10.0.0.0/8:22', '0x0a000001', 22, true],
    ['[fd00::/8]:443', 'fd12::1', 443, true],
    ['*.acme.net:443', 'git.acme.net', 444, false],
    ['*.acme.net:443', 'acme.net', 443, false],
    ['*.acme.net:443', 'notacme.net', 443, false],
    ['*.10.0.0:443', '1.10.0.0', 443, false],
    ['gitlab:*', 'GITLAB', 65535, true],
    ['127.0.0.1:22', '127.1', 22, true],
    ['*:*', '::1', 1, true],
  ];
  for (const [pattern, target, port, expected] of rows) {
    it(`${pattern} ${expected ? 'covers' : 'does not cover'} ${target}:${port}`, () => {
      const parsed = parseDestinationPattern(pattern);
      assert.equal(parsed !== undefined && matchesDestination(parsed, host(target), port), expected);
    });
  }
});
