import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentConfigSchema } from '../../../src/config/agent.js';
import { ConfigError } from '../../../src/config/errors.js';
import { parseConfig } from '../../../src/config/load.js';
import { parseProxyUrl, resolveEgressProxy } from '../../../src/config/proxy.js';
import { tempDir } from './temp-dir.js';

describe('parseProxyUrl', () => {
  const good: { url: string; host: string; port: number; username?: string; password?: string }[] = [
    { url: 'http://proxy.corp:3128', host: 'proxy.corp', port: 3128 },
    { url: 'http://proxy.corp:3128/', host: 'proxy.corp', port: 3128 },
    { url: 'proxy.corp:3128', host: 'proxy.corp', port: 3128 },
    { url: 'HTTP://Proxy.Corp:8080', host: 'proxy.corp', port: 8080 },
    { url: 'http://10.0.0.1:3128', host: '10.0.0.1', port: 3128 },
    { url: 'http://[fd00::1]:3128', host: 'fd00::1', port: 3128 },
    { url: 'http://build:s3cret@proxy.corp:3128', host: 'proxy.corp', port: 3128, username: 'build', password: 's3cret' },
    { url: 'http://build%40acme:p%3Ass%2Fw@proxy.corp:3128', host: 'proxy.corp', port: 3128, username: 'build@acme', password: 'p:ss/w' },
    { url: 'http://build@proxy.corp:3128', host: 'proxy.corp', port: 3128, username: 'build' },
  ];
  for (const { url, ...expected } of good) {
    it(`reads ${url}`, () => assert.deepEqual(parseProxyUrl(url), { ok: true, ...expected }));
  }

  const bad: { url: string; problem: RegExp }[] = [
    { url: '', problem: /expected a proxy URL/ },
    { url: 'http://', problem: /expected a proxy URL/ },
    { url: 'https://proxy.corp:3128', problem: /only http:\/\/ proxies/ },
    { url: 'socks5://proxy.corp:1080', problem: /only http:\/\/ proxies/ },
    { url: 'http://proxy.corp', problem: /explicit port/ },
    { url: 'http://proxy.corp:99999', problem: /expected a proxy URL/ },
    { url: 'http://proxy.corp:3128/path', problem: /no path/ },
    { url: 'http://proxy.corp:3128?x=1', problem: /no path/ },
    { url: 'http://proxy.corp:3128#x', problem: /no path/ },
    { url: 'http://user:%zz@proxy.corp:3128', problem: /percent-encoding/ },
    { url: 'http://1.2.3.4.5:3128', problem: /expected a proxy URL|host name or IP/ },
  ];
  for (const { url, problem } of bad) {
    it(`refuses ${JSON.stringify(url)}`, () => {
      const parsed = parseProxyUrl(url);
      assert.equal(parsed.ok, false);
      assert.match((parsed as { problem: string }).problem, problem);
    });
  }

  it('never quotes a URL that holds a password', () => {
    const parsed = parseProxyUrl('http://u:Sup3rSecret@proxy.corp:3128/x');
    assert.equal(parsed.ok, false);
    assert.doesNotMatch((parsed as { problem: string }).problem, /Sup3rSecret/);
  });
});

describe('resolveEgressProxy', () => {
  it('uses HTTPS_PROXY (then https_proxy) and NO_PROXY (then no_proxy) without a proxy: block', () => {
    const proxy = resolveEgressProxy(undefined, 'agent.yaml', { HTTPS_PROXY: 'http://u:pw@proxy.corp:3128', no_proxy: 'internal.net' });
    assert.equal(proxy?.display, 'http://proxy.corp:3128');
    assert.equal(proxy?.username, 'u');
    assert.equal(proxy?.password, 'pw');
    assert.equal(proxy?.source, 'HTTPS_PROXY');
    assert.equal(proxy?.noProxy.length, 1);
    assert.equal(resolveEgressProxy(undefined, 'agent.yaml', { https_proxy: 'proxy.corp:8080' })?.source, 'https_proxy');
    assert.equal(resolveEgressProxy(undefined, 'agent.yaml', { HTTP_PROXY: 'http://proxy.corp:3128' }), undefined);
    assert.equal(resolveEgressProxy(undefined, 'agent.yaml', {}), undefined);
  });

  it('prefers the config over the environment, and password files over the URL', () => {
    const t = tempDir();
    const passwordFile = t.write('pw', 'from-file\n');
    const envPasswordFile = t.write('pw-env', 'from-env-file\n');
    const userFile = t.write('user', 'fileuser\n');
    const config = parseConfig(
      { credentials: './a.json', proxy: { url: 'http://u:url-pw@proxy.corp:3128', usernameFile: userFile, passwordFile, noProxy: ['10.0.0.0/8'] } },
      agentConfigSchema,
      'agent.yaml',
    );
    const env = { HTTPS_PROXY: 'http://other:1' };
    const proxy = resolveEgressProxy(config.proxy, 'agent.yaml', env);
    assert.equal(proxy?.display, 'http://proxy.corp:3128');
    assert.deepEqual([proxy?.username, proxy?.password, proxy?.connectTimeoutMs], ['fileuser', 'from-file', 10_000]);
    assert.equal(resolveEgressProxy(config.proxy, 'agent.yaml', { CAUSEWAY_PROXY_PASSWORD_FILE: envPasswordFile })?.password, 'from-env-file');
  });

  const refused: { name: string; env: NodeJS.ProcessEnv; message: RegExp }[] = [
    { name: 'a bad HTTPS_PROXY', env: { HTTPS_PROXY: 'https://u:Sup3rSecret@proxy:3128' }, message: /^HTTPS_PROXY: only http:\/\/ proxies/ },
    { name: 'a bad NO_PROXY', env: { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'a:b' }, message: /^NO_PROXY: NO_PROXY entry "a:b" has a port/ },
    { name: 'a missing password file', env: { HTTPS_PROXY: 'http://proxy:3128', CAUSEWAY_PROXY_PASSWORD_FILE: '/nonexistent/pw' }, message: /proxy password file cannot be read/ },
  ];
  for (const { name, env, message } of refused) {
    it(`refuses ${name} with one line that holds no password`, () => {
      assert.throws(
        () => resolveEgressProxy(undefined, 'agent.yaml', env),
        (err: unknown) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('Sup3rSecret'),
      );
    });
  }

  it('refuses a bad proxy: block in agent.yaml naming the field, not the password', () => {
    const cases: { proxy: Record<string, unknown>; message: RegExp }[] = [
      { proxy: { url: 'ftp://u:Sup3rSecret@proxy:21' }, message: /agent\.yaml: proxy\.url: only http:\/\/ proxies/ },
      { proxy: { url: 'http://proxy:3128', noProxy: ['a b'] }, message: /agent\.yaml: proxy\.noProxy\[0\]: entry "a b"/ },
      { proxy: { url: 'http://proxy:3128', connectTimeout: 'soon' }, message: /agent\.yaml: proxy\.connectTimeout/ },
      { proxy: { url: 'http://proxy:3128', user: 'x' }, message: /agent\.yaml: proxy: unknown key "user"/ },
      { proxy: { noProxy: [] }, message: /agent\.yaml: proxy\.url: required/ },
    ];
    for (const { proxy, message } of cases) {
      assert.throws(
        () => parseConfig({ credentials: './a.json', proxy }, agentConfigSchema, 'agent.yaml'),
        (err: unknown) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('Sup3rSecret'),
        JSON.stringify(proxy),
      );
    }
  });
});
