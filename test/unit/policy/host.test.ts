import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatHostPort, isDnsName, normalizeHost } from '../../../src/policy/host.js';

describe('normalizeHost', () => {
  const rows: ReadonlyArray<readonly [string, 'name' | 'ip' | 'invalid', string]> = [
    ['gitlab.internal.acme.net', 'name', 'gitlab.internal.acme.net'],
    ['GitLab.Internal.ACME.net.', 'name', 'gitlab.internal.acme.net'],
    ['localhost', 'name', 'localhost'],
    ['my_host.internal', 'name', 'my_host.internal'],
    ['127.1', 'ip', '127.0.0.1'],
    ['0x7f000001', 'ip', '127.0.0.1'],
    ['0X7F000001', 'ip', '127.0.0.1'],
    ['2130706433', 'ip', '127.0.0.1'],
    ['0177.0.0.1', 'ip', '127.0.0.1'],
    ['0', 'ip', '0.0.0.0'],
    ['0x7f000001.', 'ip', '127.0.0.1'],
    ['\uff11\uff12\uff17.0.0.1', 'ip', '127.0.0.1'],
    ['::ffff:a9fe:a9fe', 'ip', '169.254.169.254'],
    ['[::ffff:169.254.169.254]', 'ip', '169.254.169.254'],
    ['Bücher.Example', 'name', 'xn--bcher-kva.example'],
    ['bücher.example.', 'name', 'xn--bcher-kva.example'],
    ['XN--BCHER-KVA.example', 'name', 'xn--bcher-kva.example'],
    ['\uff47\uff49\uff54.corp.example', 'name', 'git.corp.example'],
    ['git.corp\u3002example', 'name', 'git.corp.example'],
    ['xn--zz.example', 'invalid', '"xn--zz.example" is not a valid host name or IP address'],
    ['4294967296', 'invalid', '"4294967296" is not a valid host name or IP address'],
    ['1.2.3.4.5', 'invalid', '"1.2.3.4.5" is not a valid host name or IP address'],
    ['git.corp.123', 'invalid', '"git.corp.123" is not a valid host name or IP address'],
    ['ex%61mple.com', 'invalid', '"ex%61mple.com" is not a valid host name or IP address'],
    ['a/b', 'invalid', '"a/b" is not a valid host name or IP address'],
    ['user@host', 'invalid', '"user@host" is not a valid host name or IP address'],
    ['host\u0000.example', 'invalid', '"host\\u0000.example" is not a valid host name or IP address'],
    ['evil.com\u2028', 'invalid', '"evil.com\u2028" is not a valid host name or IP address'],
    ['127.0.0.1.', 'ip', '127.0.0.1'],
    ['[::1]', 'ip', '::1'],
    ['::FFFF:7f00:1', 'ip', '127.0.0.1'],
    ['[::ffff:127.0.0.1]', 'ip', '127.0.0.1'],
    ['[127.0.0.1]', 'invalid', '"[127.0.0.1]" is not a valid host name or IP address'],
    ['[gitlab]', 'invalid', '"[gitlab]" is not a valid host name or IP address'],
    ['fe80::1%eth0', 'invalid', 'IPv6 zone ids are refused: "fe80::1%eth0"'],
    ['[fe80::1%25eth0]', 'invalid', 'IPv6 zone ids are refused: "[fe80::1%25eth0]"'],
    ['', 'invalid', '"" is not a valid host name or IP address'],
    ['.', 'invalid', '"." is not a valid host name or IP address'],
    ['a..b', 'invalid', '"a..b" is not a valid host name or IP address'],
    ['-a.b', 'invalid', '"-a.b" is not a valid host name or IP address'],
    ['_proto_', 'invalid', '"_proto_" is not a valid host name or IP address'],
    ['a b', 'invalid', '"a b" is not a valid host name or IP address'],
    ['*.acme.net', 'invalid', '"*.acme.net" is not a valid host name or IP address'],
    [`${'a'.repeat(64)}.net`, 'invalid', `"${'a'.repeat(64)}.net" is not a valid host name or IP address`],
  ];
  for (const [text, kind, value] of rows) {
    it(`${JSON.stringify(text)} -> ${kind} ${value}`, () => {
      const host = normalizeHost(text);
      assert.equal(host.kind, kind);
      assert.equal(host.kind === 'invalid' ? host.reason : host.host, value);
    });
  }
});

describe('isDnsName / formatHostPort', () => {
  it('limits names to 253 characters', () => {
    const label = 'a'.repeat(63);
    assert.equal(isDnsName([label, label, label, 'a'.repeat(61)].join('.')), true);
    assert.equal(isDnsName([label, label, label, 'a'.repeat(62)].join('.')), false);
  });
  it('brackets IPv6 hosts', () => {
    assert.equal(formatHostPort('::1', 22), '[::1]:22');
    assert.equal(formatHostPort('a.b', '*'), 'a.b:*');
  });
});
