import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createDemoRepository, startDemoGitHost, type DemoGitHost } from '../../src/demo/git-host.js';
import { createStandaloneCa } from '../../src/pki/standalone-ca.js';
import { CLIENT, TestTunnel } from '../support/harness.js';
import { connectThroughProxy, hashAfterEnd, hashUntilEnd, listenTcp, privateHttpsServer, ProxyRefusal, sendRandom } from '../support/targets.js';

const execFileAsync = promisify(execFile);
const MiB = 1024 * 1024;

describe('main job: client → server → agent over mTLS', () => {
  let tunnel: TestTunnel;
  let web: Awaited<ReturnType<typeof privateHttpsServer>>;
  let bulk: Awaited<ReturnType<typeof listenTcp>>;
  let halfClose: Awaited<ReturnType<typeof listenTcp>>;
  let forbidden: Awaited<ReturnType<typeof listenTcp>>;
  let gitHost: DemoGitHost;
  let scratch: string;
  let caFile: string;
  let gitCaFile: string;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'causeway-main-'));
    web = await privateHttpsServer(['web.corp.test'], 'hello from the private network\n');
    caFile = join(scratch, 'web-ca.pem');
    writeFileSync(caFile, web.caPem);
    bulk = await listenTcp((socket) => {
      // Sends 100 MiB of its own while hashing all it receives; reports the hash after end of input.
      void sendRandom(socket, 100 * MiB).then((sha) => {
        sentByTarget.push(sha);
        socket.end();
      });
      void hashUntilEnd(socket).then((r) => receivedByTarget.push(r));
    });
    halfClose = await listenTcp(hashAfterEnd);
    forbidden = await listenTcp((socket) => socket.end('should never be reached'));
    createDemoRepository(scratch, 'repo', '# private repository\n');
    const gitCa = await createStandaloneCa('Git Internal CA');
    const gitCert = await gitCa.issueServerCert(['git.corp.test'], []);
    gitCaFile = join(scratch, 'git-ca.pem');
    writeFileSync(gitCaFile, gitCa.certPem);
    gitHost = await startDemoGitHost({ projectRoot: scratch, certPem: gitCert.certPem, keyPem: gitCert.keyPem, host: '127.0.0.1', port: 0 });
    tunnel = await TestTunnel.start({
      allow: [
        { host: 'web.corp.test', ports: [web.port], allowLoopback: true },
        { host: 'git.corp.test', ports: [gitHost.port], allowLoopback: true },
        { host: '127.0.0.1', ports: [bulk.port, halfClose.port] },
      ],
      hosts: { 'web.corp.test': '127.0.0.1', 'git.corp.test': '127.0.0.1', 'forbidden.corp.test': '127.0.0.1' },
    });
  });

  after(async () => {
    await tunnel?.stop();
    await Promise.all([web?.close(), bulk?.close(), halfClose?.close(), forbidden?.close(), gitHost?.close()]);
    rmSync(scratch, { recursive: true, force: true });
  });

  const sentByTarget: string[] = [];
  const receivedByTarget: { sha256: string; bytes: number }[] = [];

  test('curl through CONNECT reaches an HTTPS host behind the agent', async () => {
    const { stdout } = await execFileAsync('curl', [
      '-sS',
      '--fail',
      '-x',
      `http://127.0.0.1:${tunnel.proxyPort}`,
      '--cacert',
      caFile,
      `https://web.corp.test:${web.port}/`,
    ]);
    assert.equal(stdout, 'hello from the private network\n');
  });

  test('git clone through the tunnel', async () => {
    const into = join(scratch, 'clone');
    await execFileAsync('git', ['clone', '-q', `https://git.corp.test:${gitHost.port}/repo.git`, into], {
      env: { ...process.env, https_proxy: `http://127.0.0.1:${tunnel.proxyPort}`, GIT_SSL_CAINFO: gitCaFile, no_proxy: '', NO_PROXY: '', GIT_TERMINAL_PROMPT: '0' },
    });
    assert.equal(readFileSync(join(into, 'README.md'), 'utf8'), '# private repository\n');
  });

  test('100 MiB of random bytes each way arrive byte-identical', async () => {
    const socket = await connectThroughProxy(tunnel.proxyPort, `127.0.0.1:${bulk.port}`);
    const received = hashUntilEnd(socket);
    const sent = await sendRandom(socket, 100 * MiB);
    socket.end();
    const got = await received;
    assert.equal(got.bytes, 100 * MiB);
    await waitFor(() => receivedByTarget.length === 1 && sentByTarget.length === 1);
    assert.equal(got.sha256, sentByTarget[0], 'target → client bytes differ');
    assert.equal(receivedByTarget[0]!.bytes, 100 * MiB);
    assert.equal(receivedByTarget[0]!.sha256, sent, 'client → target bytes differ');
  });

  test('a target that answers only after the client half-closes gets its answer back', async () => {
    const socket = await connectThroughProxy(tunnel.proxyPort, `127.0.0.1:${halfClose.port}`);
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      socket.resume();
    });
    const sent = await sendRandom(socket, 3 * MiB + 17);
    socket.end();
    assert.equal(await answer, sent);
  });

  test('a destination not on the allowlist gets 403 and the agent never connects to it', async () => {
    for (const target of [`forbidden.corp.test:${forbidden.port}`, `127.0.0.1:${forbidden.port}`, `web.corp.test:${forbidden.port}`]) {
      const err = await connectThroughProxy(tunnel.proxyPort, target).then(
        () => assert.fail(`CONNECT ${target} should be refused`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ProxyRefusal, String(err));
      assert.match(err.statusLine, /^HTTP\/1\.1 403 /);
      assert.match(err.body, /denied/);
    }
    assert.equal(forbidden.accepted(), 0);
    await waitFor(() => tunnel.auditRecords().some((r) => r['type'] === 'deny' && r['layer'] === 'allowlist'));
  });

  test('a client identity that the ACL does not name gets 403', async () => {
    const outsider = 'outsider@clients.test.causeway';
    await tunnel.createCredential(outsider, 'client');
    const client = await tunnel.startClient(outsider);
    const err = await connectThroughProxy(Number(client.ready['port']), `web.corp.test:${web.port}`).then(
      () => assert.fail('should be refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ProxyRefusal);
    assert.match(err.statusLine, /^HTTP\/1\.1 403 /);
    await waitFor(() => tunnel.auditRecords().some((r) => r['type'] === 'deny' && r['layer'] === 'acl' && r['identity'] === outsider));
    const audit = readFileSync(join(tunnel.dataDir, 'audit.jsonl'), 'utf8');
    assert.ok(!audit.split('\n').some((l) => l.includes('"type":"tunnel.opened"') && l.includes(outsider)));
    assert.notEqual(CLIENT, outsider);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
