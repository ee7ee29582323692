import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkClientExposure, clientConfigSchema, isLoopbackHost, proxyCredentials } from '../../../src/config/client.js';
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
    ['auth with both password and passwordFile', { auth: { username: 'u', password: 'p', passwordFile: './p' } }, /auth\.passwordFile: expected either password or passwordFile, not both/],
    ['an empty passwordFile', { auth: { username: 'u', passwordFile: '' } }, /auth\.passwordFile: expected a file path/],
    ['an over-long password', { auth: { username: 'u', password: 'p'.repeat(256) } }, /auth\.password: expected at most 255 bytes/],
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

describe('proxyCredentials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-client-auth-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  it('is undefined without auth', () => assert.equal(proxyCredentials(undefined), undefined));
  it('takes an inline password as is', () => {
    assert.deepEqual(proxyCredentials({ username: 'u', password: 'p w' }), { username: 'u', password: 'p w' });
  });
  it('reads passwordFile, dropping one trailing newline', () => {
    assert.deepEqual(proxyCredentials({ username: 'u', passwordFile: file('ok', 'from file\n') }), { username: 'u', password: 'from file' });
  });
  const bad: ReadonlyArray<readonly [string, () => string, RegExp]> = [
    ['a missing file', () => join(dir, 'absent'), /client proxy password file cannot be read \(ENOENT\)/],
    ['an empty file', () => file('empty', ''), /empty/],
    ['a password over the SOCKS5 limit', () => file('long', 'x'.repeat(256)), /longer than 255 bytes/],
  ];
  for (const [name, path, message] of bad) {
    it(`refuses ${name}, naming the file and never the contents`, () => {
      const at = path();
      assert.throws(() => proxyCredentials({ username: 'u', passwordFile: at }), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, message);
        assert.ok(err.message.includes(at), err.message);
        assert.ok(!err.message.includes('xxxxxxxx'), 'the contents stay out of the message');
        return true;
      });
    });
  }
});
