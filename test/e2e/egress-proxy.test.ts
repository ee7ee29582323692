import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { launch, type LaunchedProgram } from '../../src/quickstart/launch.js';
import { freePort } from '../support/free-port.js';
import { TestTunnel } from '../support/harness.js';
import { pollUntil } from '../support/status.js';
import { privateHttpsServer } from '../support/targets.js';
import { startTinyproxy, type TestTinyproxy } from '../support/tinyproxy.js';

const execFileAsync = promisify(execFile);
const PROXY_USER = 'egress';
const PROXY_PASSWORD = 'Pr0xy-pa55word-7f3a';
const ADMIN_TOKEN = 'adm1n-t0ken-9c1e44';
const TARGET = 'gitlab.internal.acme.test';

/** The environment of an agent: nothing inherited that could pick a proxy for it. */
function agentEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy', 'HTTP_PROXY', 'http_proxy']) delete env[name];
  return { ...env, ...extra };
}

/**
 * The agent's connections to the server through a real corporate proxy (tinyproxy) on loopback: the
 * certificate request and the control stream go through CONNECT, targets are dialled directly, and
 * a proxy that refuses (wrong credentials, a port it does not allow, nothing listening) yields one
 * clear line naming the proxy in the agent's log and /status, never its credentials.
 */
describe('agent egress through an HTTP CONNECT proxy', () => {
  let tunnel: TestTunnel;
  let proxy: TestTinyproxy;
  let target: Awaited<ReturnType<typeof privateHttpsServer>>;
  const extra: LaunchedProgram[] = [];

  before(async () => {
    target = await privateHttpsServer([TARGET], 'through the proxied agent\n');
    proxy = await startTinyproxy(join(process.env['TMPDIR'] ?? '/tmp', `causeway-tinyproxy-${process.pid}`), {
      basicAuth: { user: PROXY_USER, password: PROXY_PASSWORD },
    });
    tunnel = await TestTunnel.start({
      allow: [{ host: TARGET, ports: [target.port], allowLoopback: true }],
      hosts: { [TARGET]: '127.0.0.1' },
      agentConfig: { proxy: { url: `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}` } },
      env: agentEnv({ CAUSEWAY_ADMIN_TOKEN: ADMIN_TOKEN }),
    });
  });

  after(async () => {
    await Promise.all(extra.map((p) => p.stop()));
    await tunnel?.stop();
    await proxy?.stop();
    await target?.close();
  });

  /** Starts one more agent of the same identity with `proxySettings` in its config and `env`. */
  async function startAgent(name: string, proxySettings: Record<string, unknown> | undefined, env: NodeJS.ProcessEnv = {}): Promise<LaunchedProgram> {
    const file = join(tunnel.dir, `${name}.yaml`);
    writeFileSync(file, stringify({ credentials: './agent-1.json', admin: '127.0.0.1:0', allow: [], ...(proxySettings ? { proxy: proxySettings } : {}) }));
    const agent = await launch(['agent', '--config', file], { logFile: join(tunnel.dir, 'logs', `${name}.log`), env: agentEnv({ CAUSEWAY_ADMIN_TOKEN: ADMIN_TOKEN, ...env }) });
    extra.push(agent);
    return agent;
  }

  async function status(agent: LaunchedProgram): Promise<{ ready: boolean; proxy?: string; registrations: { lastError?: string }[] }> {
    const res = await fetch(`http://127.0.0.1:${String(agent.ready['adminPort'])}/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return (await res.json()) as { ready: boolean; proxy?: string; registrations: { lastError?: string }[] };
  }

  test('the agent registered through the proxy, and a tunnel to its target works with curl', async () => {
    assert.ok(
      proxy.connects().includes(`127.0.0.1:${tunnel.serverPort}`),
      `tinyproxy saw CONNECT 127.0.0.1:${tunnel.serverPort}; it saw ${JSON.stringify(proxy.connects())}`,
    );
    const before = proxy.connects().length;
    const caFile = join(tunnel.dir, 'target-ca.pem');
    writeFileSync(caFile, target.caPem);
    const fetched = await execFileAsync('curl', ['-sS', '--max-time', '30', '-p', '-x', `http://127.0.0.1:${tunnel.proxyPort}`, '--cacert', caFile, `https://${TARGET}:${target.port}/`], { env: agentEnv() });
    assert.equal(fetched.stdout, 'through the proxied agent\n');
    assert.ok(
      proxy.connects().slice(before).every((c) => c === `127.0.0.1:${tunnel.serverPort}`),
      'the agent dialled its target directly, not through the proxy',
    );
    const s = await status(tunnel.agent);
    assert.equal(s.proxy, `http://127.0.0.1:${proxy.port}`);
    assert.equal(s.ready, true);
  });

  test('HTTPS_PROXY from the environment is used, and NO_PROXY sends the server around it', async () => {
    const connectsBefore = proxy.connects().length;
    const viaEnv = await startAgent('env-proxy', undefined, { HTTPS_PROXY: `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}` });
    await viaEnv.waitForLog((l) => l['msg'] === 'registered with the server', 20_000);
    assert.ok(proxy.connects().length > connectsBefore, 'the HTTPS_PROXY agent went through tinyproxy');
    assert.equal(viaEnv.logs.find((l) => l['msg'] === 'connecting to the server through an HTTP proxy')?.['from'], 'HTTPS_PROXY');

    const deadPort = await freePort();
    const bypass = await startAgent('no-proxy', undefined, { HTTPS_PROXY: `http://127.0.0.1:${deadPort}`, NO_PROXY: 'example.net,127.0.0.0/8' });
    await bypass.waitForLog((l) => l['msg'] === 'registered with the server', 20_000);
  });

  const refusals: { name: string; settings: (port: number) => Record<string, unknown>; options?: { connectPorts?: number[] }; message: (port: number) => RegExp }[] = [
    {
      name: 'wrong credentials (tinyproxy answers 401)',
      settings: (port) => ({ url: `http://${PROXY_USER}:not-the-${PROXY_PASSWORD}@127.0.0.1:${port}` }),
      message: (port) => new RegExp(`proxy http://127\\.0\\.0\\.1:${port} refused the proxy credentials: 40[17]`),
    },
    {
      name: 'no credentials (407)',
      settings: (port) => ({ url: `http://127.0.0.1:${port}` }),
      message: (port) => new RegExp(`proxy http://127\\.0\\.0\\.1:${port} requires proxy credentials.*: 407`),
    },
    {
      name: 'a port the proxy does not allow (ConnectPort)',
      settings: (port) => ({ url: `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${port}` }),
      options: { connectPorts: [443] },
      message: (port) => new RegExp(`proxy http://127\\.0\\.0\\.1:${port} refused CONNECT 127\\.0\\.0\\.1:\\d+: 403`),
    },
  ];
  for (const { name, settings, options, message } of refusals) {
    test(`a proxy that refuses: ${name}, is named in the log and /status`, async () => {
      let port = proxy.port;
      if (options) {
        const strict = await startTinyproxy(join(tunnel.dir, 'strict-proxy'), { basicAuth: { user: PROXY_USER, password: PROXY_PASSWORD }, ...options });
        after(() => strict.stop());
        port = strict.port;
      }
      const agent = await startAgent(`refused-${refusals.findIndex((r) => r.name === name)}`, settings(port));
      const line = await agent.waitForLog((l) => l['msg'] === 'could not obtain a certificate', 15_000);
      assert.match(String(line['err']), message(port));
      await pollUntil(async () => (await status(agent)).registrations[0]?.lastError !== undefined, 10_000, '/status lastError');
      const s = await status(agent);
      assert.equal(s.ready, false);
      assert.match(s.registrations[0]!.lastError!, message(port));
    });
  }

  test('a proxy that is not there: "cannot reach proxy", fast', async () => {
    const deadPort = await freePort();
    const agent = await startAgent('dead-proxy', { url: `http://127.0.0.1:${deadPort}`, connectTimeout: '2s' });
    const line = await agent.waitForLog((l) => l['msg'] === 'could not obtain a certificate', 15_000);
    assert.match(String(line['err']), new RegExp(`cannot reach proxy http://127\\.0\\.0\\.1:${deadPort} \\(ECONNREFUSED; from .*proxy\\.url\\)`));
  });

  test('no log line, audit record or /status page holds the proxy password or the admin token', async () => {
    const logs = join(tunnel.dir, 'logs');
    const texts = readdirSync(logs).map((f) => readFileSync(join(logs, f), 'utf8'));
    texts.push(...tunnel.programs.concat(extra).map((p) => p.stdout.join('\n')));
    texts.push(JSON.stringify(await status(tunnel.agent)));
    assert.ok(texts.join('').includes('could not obtain a certificate'), 'the logs under test are the ones with the refusals');
    for (const secret of [PROXY_PASSWORD, ADMIN_TOKEN, encodeURIComponent(PROXY_PASSWORD), Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64')]) {
      assert.ok(!texts.some((t) => t.includes(secret)), `a log holds ${secret.slice(0, 4)}…`);
    }
  });
});

