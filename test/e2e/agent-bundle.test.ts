import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { initCa } from '../../src/pki/ca.js';
import { CAUSEWAY_BIN, launch, type LaunchedProgram } from '../../src/quickstart/launch.js';
import { createIdentity } from '../../src/registry/create-identity.js';
import { TestDnsServer } from '../support/dns-server.js';
import { recordingListener, type RecordingListener } from '../support/recording-listener.js';
import { getJson, pollUntil, type ServerStatus } from '../support/status.js';
import { privateHttpsServer } from '../support/targets.js';

const TRUST_DOMAIN = 'bundle.causeway';
const AGENT = `acme-onprem@agents.${TRUST_DOMAIN}`;
const CLIENT = `ci@clients.${TRUST_DOMAIN}`;
// Private names only the agent can resolve (through the test DNS server the bundle names).
const GITLAB = 'gitlab.internal.acme.test';
const ARTIFACTORY = 'artifactory.internal.acme.test';
const UNLISTED = 'vault.internal.acme.test';

/** The environment of every program: nothing inherited that picks a proxy or a credential for it. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy', 'HTTP_PROXY', 'http_proxy', 'CAUSEWAY_CREDENTIALS_FILE', 'CAUSEWAY_ADMIN_TOKEN', 'CAUSEWAY_ADMIN_TOKEN_FILE']) {
    delete env[name];
  }
  return env;
}

function causeway(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CAUSEWAY_BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: cleanEnv() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Real curl through the client's proxy with CONNECT forced; resolves with the CONNECT status and the body. */
function curl(proxyPort: number, url: string, extra: string[] = []): Promise<{ connect: string; body: string }> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-sS', '-p', '-x', `http://127.0.0.1:${proxyPort}`, '--max-time', '30', ...extra, '-w', '\n%{http_connect}', url],
      { env: cleanEnv() },
      (_err, stdout) => {
        const cut = stdout.lastIndexOf('\n');
        resolve({ connect: stdout.slice(cut + 1).trim(), body: stdout.slice(0, cut) });
      },
    );
  });
}

/**
 * The onboarding bundle end to end: `causeway agent-bundle` against a running server's data directory,
 * the bundle copied alone into a fresh directory, and `causeway agent --config <fresh>/agent.yaml` run
 * unchanged. The agent registers and serves exactly the allowlisted host:ports, checked with real curl
 * through a real client; everything else is refused with 403 and never dialled.
 */
describe('agent-bundle: a fresh directory with the bundle brings up a working agent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-bundle-'));
  const fresh = mkdtempSync(join(tmpdir(), 'causeway-bundle-customer-'));
  const programs: LaunchedProgram[] = [];
  let dns: TestDnsServer;
  let gitlab: Awaited<ReturnType<typeof privateHttpsServer>>;
  let artifactory: http.Server;
  let artifactoryPort = 0;
  let unlistedPort: RecordingListener; // gitlab's name on a port the bundle does not list
  let server: LaunchedProgram;
  let agent: LaunchedProgram;
  let client: LaunchedProgram;
  let bundleStdout = '';

  before(async () => {
    gitlab = await privateHttpsServer([GITLAB], 'gitlab through the bundle\n');
    artifactory = http.createServer((_req, res) => res.end('artifactory through the bundle\n'));
    await new Promise<void>((resolve) => artifactory.listen(0, '127.0.0.1', resolve));
    artifactoryPort = (artifactory.address() as AddressInfo).port;
    unlistedPort = await recordingListener('127.0.0.1');
    const loopback = { A: () => ['127.0.0.1'], AAAA: () => [] };
    dns = await TestDnsServer.start({ [GITLAB]: loopback, [ARTIFACTORY]: loopback, [UNLISTED]: loopback });

    await initCa(join(dir, 'data', 'ca'), { trustDomain: TRUST_DOMAIN });
    writeFileSync(
      join(dir, 'server.yaml'),
      stringify({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', dataDir: './data', serverNames: ['localhost'], acl: [{ clients: [CLIENT], agents: [AGENT] }] }),
    );
    server = await launch(['server', '--config', join(dir, 'server.yaml')], { logFile: join(dir, 'server.log'), env: cleanEnv() });
    programs.push(server);
    const serverAddress = `127.0.0.1:${String(server.ready['port'])}`;

    // The operator's one command, run as a real CLI process on the server host.
    const made = causeway(
      dir,
      'agent-bundle',
      '--data-dir', 'data',
      '--name', 'acme-onprem',
      '--server', serverAddress,
      '--server-name', 'localhost',
      '--allow', `${GITLAB}:${gitlab.port}`,
      '--allow', `${ARTIFACTORY}:${artifactoryPort}`,
      '--dns-server', dns.address,
      '--allow-loopback',
      '--admin', '127.0.0.1:0',
      '--target-certs', 'internal-pki',
      '--out', 'bundle',
    );
    assert.equal(made.code, 0, made.stderr);
    bundleStdout = made.stdout;

    // The customer gets the directory and nothing else: copy it, then remove the original.
    cpSync(join(dir, 'bundle'), fresh, { recursive: true });
    rmSync(join(dir, 'bundle'), { recursive: true });
    agent = await launch(['agent', '--config', join(fresh, 'agent.yaml')], { logFile: join(dir, 'agent.log'), env: cleanEnv() });
    programs.push(agent);
    await agent.waitForLog((line) => line['msg'] === 'registered with the server', 20_000);

    await createIdentity({ dataDir: join(dir, 'data'), name: CLIENT, role: 'client', server: serverAddress, serverName: 'localhost', out: join(dir, 'client.json') });
    writeFileSync(join(dir, 'client.yaml'), stringify({ credentials: './client.json', listen: '127.0.0.1:0', admin: '127.0.0.1:0' }));
    client = await launch(['client', '--config', join(dir, 'client.yaml')], { logFile: join(dir, 'client.log'), env: cleanEnv() });
    programs.push(client);
  });

  after(async () => {
    await Promise.all(programs.map((p) => p.stop()));
    await Promise.all([gitlab?.close(), unlistedPort?.close(), dns?.close(), new Promise((resolve) => artifactory?.close(resolve))]);
    if (!process.env['CAUSEWAY_KEEP_TEST_DIRS']) {
      rmSync(dir, { recursive: true, force: true });
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  test('the bundle holds the four files, the key files readable by their owner only', () => {
    assert.deepEqual(readdirSync(fresh).sort(), ['INSTALL.md', 'agent.json', 'agent.yaml', 'kubernetes.yaml']);
    assert.equal(statSync(join(fresh, 'agent.json')).mode & 0o777, 0o600);
    assert.equal(statSync(join(fresh, 'kubernetes.yaml')).mode & 0o777, 0o600);
    assert.match(bundleStdout, new RegExp(`created agent identity ${AGENT.replace(/\./g, '\\.')}`));
    assert.match(bundleStdout, /internal root CA certificate/, 'the operator is told what the workloads must trust');
    const install = readFileSync(join(fresh, 'INSTALL.md'), 'utf8');
    assert.match(install, new RegExp(`\\| 127\\.0\\.0\\.1:${String(server.ready['port'])} \\| TCP \\(mutual TLS, gRPC\\) \\| outbound only \\|`));
    // The Kubernetes Secret carries exactly the credential the agent runs with.
    const secret = parseAllDocuments(readFileSync(join(fresh, 'kubernetes.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; data: Record<string, string> }).find((d) => d.kind === 'Secret');
    assert.equal(Buffer.from(secret!.data['agent.json']!, 'base64').toString('utf8'), readFileSync(join(fresh, 'agent.json'), 'utf8'));
    assert.equal(agent.logs.some((l) => /lets other users read/.test(String(l['msg']))), false, 'no permission warning about the copied key');
  });

  test('the agent registered with the server under the bundle identity and is ready', async () => {
    const serverAdmin = Number(server.ready['adminPort']);
    await pollUntil(async () => (await getJson<ServerStatus>(serverAdmin, '/status')).agents.some((a) => a.identity === AGENT), 10_000, 'the agent in the server /status');
    assert.equal(agent.ready['identity'], AGENT);
    const ready = await fetch(`http://127.0.0.1:${String(agent.ready['adminPort'])}/readyz`);
    assert.equal(ready.status, 200);
    // The line operators wait for is valid for strict JSON readers: no key twice (it once had "server" twice).
    const registered = readFileSync(join(dir, 'agent.log'), 'utf8').split('\n').find((l) => l.includes('"registered with the server"'));
    assert.ok(registered, 'the registered line is in the log file');
    const keys = [...registered.matchAll(/[{,]"([^"\\]+)":/g)].map((m) => m[1]);
    assert.deepEqual(keys.filter((k, i) => keys.indexOf(k) !== i), [], registered);
    assert.ok(keys.includes('server'));
  });

  test('allowlisted names work through the client with curl, TLS end to end with the internal CA', async () => {
    const caFile = join(dir, 'acme-internal-ca.pem');
    writeFileSync(caFile, gitlab.caPem);
    const https = await curl(Number(client.ready['port']), `https://${GITLAB}:${gitlab.port}/`, ['--cacert', caFile]);
    assert.deepEqual(https, { connect: '200', body: 'gitlab through the bundle\n' });
    const plain = await curl(Number(client.ready['port']), `http://${ARTIFACTORY}:${artifactoryPort}/`);
    assert.deepEqual(plain, { connect: '200', body: 'artifactory through the bundle\n' });
    assert.ok(dns.count(GITLAB, 'A') >= 1 && dns.count(ARTIFACTORY, 'A') >= 1, 'the agent resolved the names with the resolver the bundle named');
  });

  const refused: { name: string; target: () => string }[] = [
    { name: 'a host that is not listed', target: () => `${UNLISTED}:${gitlab.port}` },
    { name: 'a listed host on a port that is not listed', target: () => `${GITLAB}:${unlistedPort.port}` },
    { name: 'one listed host on the other one\'s port', target: () => `${ARTIFACTORY}:${gitlab.port}` },
    { name: 'the address behind the names', target: () => `127.0.0.1:${gitlab.port}` },
  ];
  for (const { name, target } of refused) {
    test(`${name} is refused with 403 and never dialled`, async () => {
      const accepted = unlistedPort.accepted.length;
      const result = await curl(Number(client.ready['port']), `http://${target()}/`);
      assert.equal(result.connect, '403');
      assert.equal(unlistedPort.accepted.length, accepted);
      assert.equal(dns.count(UNLISTED, 'A'), 0, 'an unlisted name is not even resolved');
    });
  }

  test('a second bundle into the same directory is refused and registers nothing', () => {
    const again = mkdtempSync(join(dir, 'again-'));
    writeFileSync(join(again, 'agent.yaml'), 'the customer edited this\n');
    const result = causeway(dir, 'agent-bundle', '--data-dir', 'data', '--name', 'second', '--server', '127.0.0.1:8443', '--allow', `${GITLAB}:443`, '--out', again);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /agent\.yaml already exists; refusing to overwrite/);
    assert.equal(readFileSync(join(again, 'agent.yaml'), 'utf8'), 'the customer edited this\n');
    assert.deepEqual(readdirSync(again), ['agent.yaml'], 'no credential was written');
    const list = causeway(dir, 'identity', 'list', '--data-dir', 'data');
    assert.doesNotMatch(list.stdout, /second@/);

    const badFlag = causeway(dir, 'agent-bundle', '--data-dir', 'data', '--name', 'third', '--server', '127.0.0.1:8443', '--allow', `${GITLAB}:443,,22`, '--out', join(dir, 'third'));
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /causeway agent-bundle: --allow ".*" has an empty port in its list .*; run 'causeway agent-bundle --help'/);
  });
});
