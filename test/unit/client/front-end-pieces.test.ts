import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionGate } from '../../../src/client/connection-gate.js';
import { HTTP_FOR_FAILURE, SOCKS_FOR_FAILURE } from '../../../src/client/failure-replies.js';
import { ProxyAuth } from '../../../src/client/proxy-auth.js';
import { sniffProtocol } from '../../../src/client/sniff.js';
import { SocksReply } from '../../../src/client/socks5-constants.js';

describe('sniffProtocol', () => {
  const cases: ReadonlyArray<readonly [number, string]> = [
    [0x05, 'socks5'],
    [0x04, 'socks4'],
    [0x16, 'tls'],
    ['C'.charCodeAt(0), 'http'],
    ['G'.charCodeAt(0), 'http'],
    ['g'.charCodeAt(0), 'unknown'],
    [0x00, 'unknown'],
    [0xff, 'unknown'],
  ];
  for (const [byte, protocol] of cases) it(`0x${byte.toString(16)} → ${protocol}`, () => assert.equal(sniffProtocol(byte), protocol));
});

describe('failure replies', () => {
  it('match the issue: 403/0x02 deny, 503+Retry-After no agent, 502/0x05 refused, 504/0x04 timeout', () => {
    assert.equal(HTTP_FOR_FAILURE.denied.status, 403);
    assert.equal(SOCKS_FOR_FAILURE.denied, SocksReply.NOT_ALLOWED);
    assert.equal(HTTP_FOR_FAILURE['no-agent'].status, 503);
    assert.ok(HTTP_FOR_FAILURE['no-agent'].retryAfter);
    assert.equal(SOCKS_FOR_FAILURE['no-agent'], SocksReply.NETWORK_UNREACHABLE);
    assert.equal(HTTP_FOR_FAILURE.refused.status, 502);
    assert.equal(SOCKS_FOR_FAILURE.refused, SocksReply.CONNECTION_REFUSED);
    assert.equal(HTTP_FOR_FAILURE.timeout.status, 504);
    assert.equal(SOCKS_FOR_FAILURE.timeout, SocksReply.HOST_UNREACHABLE);
    for (const [failure, reply] of Object.entries(HTTP_FOR_FAILURE)) {
      if (reply.status === 503) assert.ok(reply.retryAfter, `${failure}: a 503 says when to retry`);
      assert.ok(failure in SOCKS_FOR_FAILURE, `${failure} has a SOCKS reply`);
    }
  });
});

describe('ProxyAuth', () => {
  const auth = new ProxyAuth({ username: 'build', password: 'pa:ss wörd' });
  const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
  it('accepts the right credentials, as user/pass and as a Basic header', () => {
    assert.equal(auth.check('build', 'pa:ss wörd'), true);
    assert.equal(auth.checkHeader(basic('build:pa:ss wörd')), true);
    assert.equal(auth.checkHeader(`basic   ${Buffer.from('build:pa:ss wörd').toString('base64')}`), true);
  });
  const bad: ReadonlyArray<readonly [string, string | undefined]> = [
    ['no header', undefined],
    ['empty header', ''],
    ['wrong password', basic('build:nope')],
    ['wrong user', basic('other:pa:ss wörd')],
    ['no colon', basic('build')],
    ['another scheme', `Bearer ${Buffer.from('build:pa:ss wörd').toString('base64')}`],
    ['not base64', 'Basic !!!'],
  ];
  for (const [name, header] of bad) it(`refuses ${name}`, () => assert.equal(auth.checkHeader(header), false));
  it('lets everyone through when no credentials are configured', () => {
    const none = new ProxyAuth(undefined);
    assert.equal(none.required, false);
    assert.equal(none.checkHeader(undefined), true);
  });
});

describe('ConnectionGate', () => {
  it('hands out at most max slots and takes each back once', () => {
    const gate = new ConnectionGate(2);
    const a = gate.tryAcquire()!;
    const b = gate.tryAcquire()!;
    assert.equal(gate.tryAcquire(), undefined);
    a();
    a();
    assert.equal(gate.active, 1);
    assert.ok(gate.tryAcquire());
    b();
    assert.equal(gate.active, 1);
  });
});
