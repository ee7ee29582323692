import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesDestination, parseDestinationPattern } from '../../../src/policy/destination.js';
import { normalizeHost } from '../../../src/policy/host.js';
import type { CanonicalHost } from '../../../src/policy/host.js';

function host(text: string): CanonicalHost {
  const parsed = normalizeHost(text);
  assert.notEqual(parsed.kind, 'invalid');
  return parsed as CanonicalHost;
}

describe('parseDestinationPattern', () => {
  const valid: ReadonlyArray<readonly [string, unknown]> = [
    ['gitlab.internal.acme.net:443', { host: { kind: 'exact', host: 'gitlab.internal.acme.net' }, ports: { first: 443, last: 443 } }],
    ['GitLab.Acme.net.:22', { host: { kind: 'exact', host: 'gitlab.acme.net' }, ports: { first: 22, last: 22 } }],
    ['*.acme.net:443', { host: { kind: 'suffix', suffix: '.acme.net' }, ports: { first: 443, last: 443 } }],
    ['gitlab:*', { host: { kind: 'exact', host: 'gitlab' }, ports: undefined }],
    ['*:9418', { host: { kind: 'any' }, ports: { first: 9418, last: 9418 } }],
    ['10.0.0.5:8000-8100', { host: { kind: 'exact', host: '10.0.0.5' }, ports: { first: 8000, last: 8100 } }],
    ['[::ffff:10.0.0.5]:1', { host: { kind: 'exact', host: '10.0.0.5' }, ports: { first: 1, last: 1 } }],
  ];
  for (const [text, expected] of valid) it(`parses ${text}`, () => assert.deepEqual(parseDestinationPattern(text), expected));

  for (const text of ['gitlab', ':443', 'gitlab:', 'gitlab:0', 'gitlab:http', '::1:443', '*.:443', 'a.*.net:443', '*acme.net:443', '[fe80::1%eth0]:443', 'a b:1']) {
    it(`refuses ${JSON.stringify(text)}`, () => assert.equal(parseDestinationPattern(text), undefined));
  }
});

describe('matchesDestination', () => {
  const rows: ReadonlyArray<readonly [string, string, number, boolean]> = [
    ['*.acme.net:443', 'git.acme.net', 443, true],
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
