import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endToEndHeaders, parseAbsoluteTarget } from '../../../src/client/http-forward.js';
import { parseAuthority } from '../../../src/client/authority.js';

describe('parseAbsoluteTarget', () => {
  const ok: ReadonlyArray<readonly [string, string, number, string, string]> = [
    ['http://example.com/a?b=1', 'example.com', 80, '/a?b=1', 'example.com'],
    ['http://example.com', 'example.com', 80, '/', 'example.com'],
    ['http://Example.COM:8080/x', 'example.com', 8080, '/x', 'example.com:8080'],
    ['http://10.0.0.1:81/', '10.0.0.1', 81, '/', '10.0.0.1:81'],
    ['http://[2001:db8::1]:8080/p', '2001:db8::1', 8080, '/p', '[2001:db8::1]:8080'],
    ['http://user:pw@example.com/', 'example.com', 80, '/', 'example.com'],
  ];
  for (const [url, host, port, path, authority] of ok) {
    it(`accepts ${url}`, () => assert.deepEqual(parseAbsoluteTarget(url), { ok: true, host, port, path, authority }));
  }
  const bad: ReadonlyArray<readonly [string, RegExp]> = [
    ['/', /this is a proxy/],
    ['*', /this is a proxy/],
    ['https://example.com/', /only http:\/\/ URLs are forwarded, not https:\/\/; for https:\/\/ use CONNECT/],
    ['ftp://example.com/', /not ftp:\/\//],
    ['http://', /not a valid URL/],
    ['not a url', /not a valid URL/],
    ['http://exa mple.com/', /not a valid URL/],
  ];
  for (const [url, reason] of bad) {
    it(`refuses ${url}`, () => {
      const result = parseAbsoluteTarget(url);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.status, 400);
        assert.match(result.reason, reason);
      }
    });
  }
});

describe('endToEndHeaders', () => {
  it('drops hop-by-hop fields, Proxy-Authorization and the fields Connection names', () => {
    const raw = [
      'Host', 'a', 'Connection', 'keep-alive, X-Private', 'Keep-Alive', '5', 'Proxy-Connection', 'keep-alive',
      'Proxy-Authorization', 'Basic eDp5', 'TE', 'trailers', 'Trailer', 'X', 'Transfer-Encoding', 'chunked',
      'Upgrade', 'h2c', 'Proxy-Authenticate', 'Basic', 'X-Private', 'secret', 'Accept', '*/*', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2',
    ];
    assert.deepEqual(endToEndHeaders(raw), ['Host', 'a', 'Accept', '*/*', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
  });
});

describe('parseAuthority (CONNECT targets)', () => {
  for (const good of ['example.com:443', '10.0.0.1:22', '[::1]:8443', 'a_b.internal:1']) {
    it(`accepts ${good}`, () => assert.ok(parseAuthority(good)));
  }
  for (const bad of ['example.com', 'http://example.com:443', 'example.com:0', 'example.com:65536', '::1:443', 'user@host:22', 'host:22/path', '[example.com]:443', '']) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.equal(parseAuthority(bad), undefined));
  }
});
