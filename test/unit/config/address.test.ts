import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dialAddressSchema, formatAddress, listenAddressSchema, parseAddress } from '../../../src/config/address.js';

describe('parseAddress', () => {
  const ok: ReadonlyArray<readonly [string, string, number, boolean?]> = [
    ['127.0.0.1:8443', '127.0.0.1', 8443],
    ['localhost:3128', 'localhost', 3128],
    ['Tunnel.Example.COM.:443', 'tunnel.example.com', 443],
    ['[::1]:8443', '::1', 8443],
    ['[2001:DB8::1]:22', '2001:db8::1', 22],
    ['127.1:80', '127.0.0.1', 80],
    ['0.0.0.0:0', '0.0.0.0', 0, true],
    ['[::]:65535', '::', 65535],
  ];
  for (const [text, host, port, allowPortZero] of ok) {
    it(`accepts ${text}`, () => {
      assert.deepEqual(parseAddress(text, { allowPortZero: allowPortZero ?? false }), { ok: true, address: { host, port } });
    });
  }

  const bad: ReadonlyArray<readonly [string, string]> = [
    ['8443', 'expected an address like "127.0.0.1:8443" or "[::1]:8443", got "8443"'],
    [':8443', 'expected an address like "127.0.0.1:8443" or "[::1]:8443", got ":8443"'],
    ['host:', 'expected host:port with a port from 1 to 65535, got "host:"'],
    ['host:0', 'expected host:port with a port from 1 to 65535, got "host:0"'],
    ['host:65536', 'expected host:port with a port from 1 to 65535, got "host:65536"'],
    ['host:+80', 'expected host:port with a port from 1 to 65535, got "host:+80"'],
    ['host:http', 'expected host:port with a port from 1 to 65535, got "host:http"'],
    ['::1:8443', 'expected an IPv6 address in brackets, like "[::1]:8443", got "::1:8443"'],
    ['[fe80::1%eth0]:80', 'expected a host name or IP address before the port, got "[fe80::1%eth0]:80"'],
    ['bad host:80', 'expected a host name or IP address before the port, got "bad host:80"'],
    ['https://tunnel.example.com:8443', 'expected host:port without a scheme or path, like "tunnel.example.com:8443", got the URL "https://tunnel.example.com:8443"'],
    ['grpc://[::1]:8443', 'expected host:port without a scheme or path, like "tunnel.example.com:8443", got the URL "grpc://[::1]:8443"'],
    ['HTTP://tunnel:80/', 'expected host:port without a scheme or path, like "tunnel.example.com:8443", got the URL "HTTP://tunnel:80/"'],
    ['[127.0.0.1]:80', 'expected a host name or IP address before the port, got "[127.0.0.1]:80"'],
  ];
  for (const [text, problem] of bad) {
    it(`refuses ${text}`, () => assert.deepEqual(parseAddress(text), { ok: false, problem }));
  }
});

describe('address schemas', () => {
  it('listen allows port 0, dial does not', () => {
    assert.deepEqual(listenAddressSchema.parse('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.equal(dialAddressSchema.safeParse('127.0.0.1:0').success, false);
  });
  it('formats IPv6 hosts in brackets', () => {
    assert.equal(formatAddress({ host: '::1', port: 8443 }), '[::1]:8443');
    assert.equal(formatAddress({ host: 'localhost', port: 8443 }), 'localhost:8443');
  });
});
