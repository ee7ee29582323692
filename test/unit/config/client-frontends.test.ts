import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkClientExposure, clientConfigSchema, isLoopbackHost } from '../../../src/config/client.js';
import { parseForward } from '../../../src/config/client-forward.js';
import { ConfigError } from '../../../src/config/errors.js';
import { parseConfig } from '../../../src/config/load.js';

describe('parseForward', () => {
  it('parses LISTEN=TARGET', () => {
    assert.deepEqual(parseForward('127.0.0.1:2222=git.corp.test:22'), {
      ok: true,
      forward: { listen: { host: '127.0.0.1', port: 2222 }, target: { host: 'git.corp.test', port: 22 } },
    });
    assert.deepEqual(parseForward('[::1]:0=[2001:db8::1]:443'), {
      ok: true,
      forward: { listen: { host: '::1', port: 0 }, target: { host: '2001:db8::1', port: 443 } },
    });
  });
  const bad: ReadonlyArray<readonly [string, RegExp]> = [
    ['git.corp.test:22', /expected a forward like/],
    ['a:1=b:2=c:3', /expected a forward like/],
    ['127.0.0.1=git:22', /^listen address: /],
    ['127.0.0.1:2222=git.corp.test', /^target: /],
    ['127.0.0.1:2222=git.corp.test:0', /^target: .*port from 1/],
  ];
  for (const [text, problem] of bad) {
    it(`refuses ${text}`, () => {
      const result = parseForward(text);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.problem, problem);
    });
  }
});

describe('client config: front-end fields', () => {
  const base = { credentials: '/c.json' };
  it('has defaults for every limit', () => {
    const config = parseConfig(base, clientConfigSchema, 'client.yaml');
    assert.deepEqual(config.limits, {
      maxConnections: 1000,
      headerBytes: 16384,
      handshakeTimeout: 10_000,
      idleTimeout: 900_000,
      keepAliveTimeout: 30_000,
      dialTimeout: 15_000,
    });
    assert.deepEqual(config.forwards, []);
    assert.equal(config.allowOpenProxy, false);
  });
  const bad: ReadonlyArray<readonly [string, Record<string, unknown>, RegExp]> = [
    ['a bad forward', { forwards: ['nope'] }, /client\.yaml: forwards\[0\]: expected a forward like/],
    ['auth without password', { auth: { username: 'u' } }, /client\.yaml: auth\.password: /],
    ['an over-long user name', { auth: { username: 'u'.repeat(256), password: 'p' } }, /auth\.username: expected at most 255 bytes/],
    ['an unknown auth key', { auth: { username: 'u', password: 'p', realm: 'x' } }, /unknown key "realm"/],
    ['allowOpenProxy as text', { allowOpenProxy: 'yes' }, /allowOpenProxy: expected true or false/],
    ['a dial timeout under 1 s', { limits: { dialTimeout: '10ms' } }, /limits\.dialTimeout: expected a duration from 1s/],
  ];
  for (const [name, extra, message] of bad) {
    it(`refuses ${name}`, () => assert.throws(() => parseConfig({ ...base, ...extra }, clientConfigSchema, 'client.yaml'), message));
  }
});

describe('checkClientExposure', () => {
  const config = (extra: Record<string, unknown>) => parseConfig({ credentials: '/c.json', ...extra }, clientConfigSchema, 'client.yaml');
  const allowed: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
    ['loopback without auth', { listen: '127.0.0.1:3128' }],
    ['::1 without auth', { listen: '[::1]:3128' }],
    ['all interfaces with auth', { listen: '0.0.0.0:3128', auth: { username: 'u', password: 'p' } }],
    ['all interfaces, explicitly open', { listen: '0.0.0.0:3128', allowOpenProxy: true }],
    ['a non-loopback forward, explicitly open', { forwards: ['0.0.0.0:2222=git:22'], allowOpenProxy: true }],
  ];
  for (const [name, extra] of allowed) it(`allows ${name}`, () => checkClientExposure(config(extra), 'client.yaml'));
  const refused: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
    ['all interfaces without auth', { listen: '0.0.0.0:3128' }, 'listen'],
    ['a LAN address without auth', { listen: '10.1.2.3:3128' }, 'listen'],
    ['a non-loopback forward even with auth', { forwards: ['127.0.0.1:1=a:1', '0.0.0.0:2222=git:22'], auth: { username: 'u', password: 'p' } }, 'forwards[1]'],
  ];
  for (const [name, extra, field] of refused) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => checkClientExposure(config(extra), 'client.yaml'),
        (err: unknown) => err instanceof ConfigError && err.field === field && /allowOpenProxy: true/.test(err.message),
      );
    });
  }
  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.9.8.7', '::1', 'localhost']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com']) assert.equal(isLoopbackHost(host), false, host);
  });
});
