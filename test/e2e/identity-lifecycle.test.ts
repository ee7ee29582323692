import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { CAUSEWAY_BIN, type LaunchedProgram } from '../../src/quickstart/launch.js';
import { AGENT, CLIENT, TestTunnel } from '../support/harness.js';
import { connectThroughProxy, hashAfterEnd, listenTcp, ProxyRefusal } from '../support/targets.js';

const execFileAsync = promisify(execFile);
const KiB = 1024;
const REVOCATION_DEADLINE_MS = 10_000;
/** A second client identity, so revoking it leaves the main client alone. */
const CLIENT2 = 'client-2@clients.test.causeway';

/** Runs `causeway identity <args>` against the tunnel's data directory, as an operator would. */
async function identityCli(tunnel: TestTunnel, ...args: string[]): Promise<string> {
  const [sub, ...rest] = args;
  const { stdout } = await execFileAsync(process.execPath, [CAUSEWAY_BIN, 'identity', sub!, '--data-dir', tunnel.dataDir, ...rest]);
  return stdout;
}

/** CONNECT through the proxy, failing instead of hanging when nothing answers in time. */
function connectWithin(proxyPort: number, target: string, timeoutMs = 10_000): Promise<Socket> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`CONNECT ${target} got no answer in ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([connectThroughProxy(proxyPort, target), timeout]).finally(() => clearTimeout(timer));
}

/** Sends a line through an echo tunnel and waits for it to come back. */
async function echo(socket: Socket, text: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => reject(new Error(`no echo of ${text}`)), timeoutMs);
    const onData = (c: Buffer): void => {
      got += c.toString();
      if (got.length >= text.length) {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.pause();
        resolve(got);
      }
    };
    socket.on('data', onData);
    socket.resume();
    socket.write(text);
  });
}

/** Resolves with how long after `since` the socket closed; rejects after `timeoutMs`. */
function closedWithin(socket: Socket, since: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve(Date.now() - since);
    const timer = setTimeout(() => reject(new Error(`tunnel still open after ${timeoutMs} ms`)), timeoutMs);
    socket.resume();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - since);
    });
  });
}

/**
 * Expects CONNECT to be refused. A client whose certificate has lapsed while it is refused a new one
 * waits for renewal until its own dial timeout (10 s), hence the longer wait here.
 */
async function refusedWith(proxyPort: number, target: string, status: RegExp): Promise<ProxyRefusal> {
  const err = await connectWithin(proxyPort, target, 25_000).then(
    (s) => {
      s.destroy();
      return assert.fail(`CONNECT ${target} should be refused`);
    },
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProxyRefusal, String(err));
  assert.match(err.statusLine, status);
  return err;
}

function readyz(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/readyz', timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: 'unreachable' }));
    req.on('timeout', () => req.destroy());
  });
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function installs(program: LaunchedProgram): number {
  return program.logs.filter((l) => l['msg'] === 'certificate installed').length;
}

describe('identity lifecycle: rotation, revocation, source networks, expiry offline', () => {
  let tunnel: TestTunnel;
  let echoTarget: Awaited<ReturnType<typeof listenTcp>>;
  let hashTarget: Awaited<ReturnType<typeof listenTcp>>;

  before(async () => {
    echoTarget = await listenTcp((socket) => socket.pipe(socket));
    hashTarget = await listenTcp(hashAfterEnd);
    tunnel = await TestTunnel.start({
      allow: [{ host: '127.0.0.1', ports: [echoTarget.port, hashTarget.port] }],
      acl: [{ clients: [CLIENT2], agents: [AGENT] }],
      server: { certLifetime: '5s' },
    });
  });
  after(async () => {
    await tunnel?.stop();
    await Promise.all([echoTarget?.close(), hashTarget?.close()]);
  });

  test('5-second certificates rotate repeatedly during a long transfer, which arrives byte-identical', async () => {
    const clientBefore = installs(tunnel.client);
    const agentBefore = installs(tunnel.agent);
    const socket = await connectWithin(tunnel.proxyPort, `127.0.0.1:${hashTarget.port}`);
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      socket.on('close', () => resolve(`closed early after ${text.length} bytes of answer`));
      socket.resume();
    });
    const sent = createHash('sha256');
    let bytes = 0;
    let fresh = 0;
    const started = Date.now();
    // 13 s of paced writes on one stream: two to three rotations of each party's certificate.
    for (let round = 0; Date.now() - started < 13_000; round++) {
      assert.ok(!socket.destroyed, `the long tunnel closed after ${bytes} bytes`);
      const chunk = randomBytes(128 * KiB);
      sent.update(chunk);
      bytes += chunk.length;
      if (!socket.write(chunk)) await new Promise((resolve) => (socket.once('drain', resolve), socket.once('close', resolve)));
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (round % 10 === 9) {
        // New streams meanwhile go over the connection made with the newest certificate.
        const probe = await connectWithin(tunnel.proxyPort, `127.0.0.1:${echoTarget.port}`);
        assert.equal(await echo(probe, `fresh-${fresh}`), `fresh-${fresh}`);
        fresh++;
        probe.destroy();
      }
    }
    socket.end();
    assert.equal(await answer, sent.digest('hex'), `the ${bytes} bytes arrived altered`);
    assert.ok(installs(tunnel.client) - clientBefore >= 2, `client rotated ${installs(tunnel.client) - clientBefore} times`);
    assert.ok(installs(tunnel.agent) - agentBefore >= 2, `agent rotated ${installs(tunnel.agent) - agentBefore} times`);
    assert.ok(fresh >= 4, `only ${fresh} new tunnels were tried during the transfer`);
  });

  test('removing a key ends the tunnels of certificates it bought within 10 s, and only those', async () => {
    await tunnel.createCredential(CLIENT2, 'client');
    const oldKey = (JSON.parse(readFileSync(join(tunnel.dir, 'client-2.json'), 'utf8')) as { keyId: string }).keyId;
    const oldClient = await tunnel.startClient(CLIENT2);
    await identityCli(tunnel, 'add-key', '--name', CLIENT2, '--server', tunnel.serverAddress, '--out', join(tunnel.dir, 'client-2b.json'));
    const newClient = await tunnel.startClient(CLIENT2, { credentials: './client-2b.json' }, 'client-2b');
    const viaOld = await connectWithin(Number(oldClient.ready['port']), `127.0.0.1:${echoTarget.port}`);
    const viaNew = await connectWithin(Number(newClient.ready['port']), `127.0.0.1:${echoTarget.port}`);
    assert.equal(await echo(viaOld, 'old'), 'old');
    assert.equal(await echo(viaNew, 'new'), 'new');

    const removedAt = Date.now();
    // `--key-id=` form: a key id may start with '-', which parseArgs would read as an option.
    await identityCli(tunnel, 'remove-key', '--name', CLIENT2, `--key-id=${oldKey}`);
    const tookMs = await closedWithin(viaOld, removedAt, REVOCATION_DEADLINE_MS);
    assert.equal(await echo(viaNew, 'still here'), 'still here');
    await refusedWith(Number(oldClient.ready['port']), `127.0.0.1:${echoTarget.port}`, /^HTTP\/1\.1 (403|503|504) /);
    const audit = tunnel.auditRecords();
    assert.ok(audit.some((r) => r['type'] === 'deny' && r['code'] === 'ERR_KEY_REMOVED' && r['identity'] === CLIENT2));
    await waitFor(
      () => tunnel.auditRecords().some((r) => r['type'] === 'token.rejected' && r['code'] === 'ERR_TOKEN_KID_UNKNOWN'),
      10_000,
      'the old key to be refused a certificate',
    );
    viaNew.destroy();
    await oldClient.stop();
    process.stdout.write(`# key removal ended the tunnel in ${tookMs} ms\n`);
  });

  test('disabling an identity ends its live tunnel within 10 s, refuses new ones, and is audited', async () => {
    const live = await connectWithin(tunnel.proxyPort, `127.0.0.1:${echoTarget.port}`);
    assert.equal(await echo(live, 'before'), 'before');
    const disabledAt = Date.now();
    await identityCli(tunnel, 'disable', '--name', CLIENT);
    let tookMs: number;
    try {
      tookMs = await closedWithin(live, disabledAt, REVOCATION_DEADLINE_MS);
      await refusedWith(tunnel.proxyPort, `127.0.0.1:${echoTarget.port}`, /^HTTP\/1\.1 (403|503|504) /);
      const audit = tunnel.auditRecords();
      assert.ok(audit.some((r) => r['type'] === 'deny' && r['code'] === 'ERR_IDENTITY_DISABLED' && r['identity'] === CLIENT && String(r['reason']).includes('live tunnel')));
      assert.ok(audit.some((r) => r['type'] === 'tunnel.closed' && r['client'] === CLIENT && String(r['reason']).includes('disabled')));
      await waitFor(() => tunnel.auditRecords().some((r) => r['type'] === 'token.rejected' && r['code'] === 'ERR_IDENTITY_DISABLED'), 10_000, 'a refused renewal');
    } finally {
      // Later tests use this identity; a failure here must not cascade into them.
      await identityCli(tunnel, 'enable', '--name', CLIENT);
    }
    const again = await waitFor(
      () => connectWithin(tunnel.proxyPort, `127.0.0.1:${echoTarget.port}`).catch(() => undefined),
      30_000,
      'a tunnel after re-enabling',
    );
    assert.equal(await echo(again, 'after'), 'after');
    again.destroy();
    process.stdout.write(`# disabling ended the tunnel in ${tookMs!} ms\n`);
  });

  test('streams and issuance from outside an identity\'s source networks are refused', async () => {
    const live = await connectWithin(tunnel.proxyPort, `127.0.0.1:${echoTarget.port}`);
    assert.equal(await echo(live, 'x'), 'x');
    const changedAt = Date.now();
    await identityCli(tunnel, 'set-cidrs', '--name', CLIENT, '--cidr', '10.0.0.0/8');
    try {
      await closedWithin(live, changedAt, REVOCATION_DEADLINE_MS);
      await refusedWith(tunnel.proxyPort, `127.0.0.1:${echoTarget.port}`, /^HTTP\/1\.1 (403|503|504) /);
      await waitFor(
        () => tunnel.auditRecords().some((r) => r['type'] === 'token.rejected' && r['code'] === 'ERR_SOURCE_NOT_ALLOWED' && r['identity'] === CLIENT),
        10_000,
        'a refused issuance from outside the CIDRs',
      );
      assert.ok(tunnel.auditRecords().some((r) => r['type'] === 'deny' && r['code'] === 'ERR_SOURCE_NOT_ALLOWED'));
    } finally {
      await identityCli(tunnel, 'set-cidrs', '--name', CLIENT, '--cidr', '127.0.0.0/8');
    }
    const again = await waitFor(
      () => connectWithin(tunnel.proxyPort, `127.0.0.1:${echoTarget.port}`).catch(() => undefined),
      30_000,
      'a tunnel from inside the CIDRs',
    );
    assert.equal(await echo(again, 'inside'), 'inside');
    again.destroy();
  });

  test('a party whose certificate expired while the server was away is not ready, and re-authenticates when it returns', async () => {
    const clientAdmin = Number(tunnel.client.ready['adminPort']);
    const agentAdmin = Number(tunnel.agent.ready['adminPort']);
    // Precondition: ready (the previous test may have left it renewing after its CIDRs came back).
    await waitFor(async () => ((await readyz(clientAdmin)).status === 200 ? true : undefined), 30_000, 'the client to be ready');
    await tunnel.server.stop();
    const client = await waitFor(async () => {
      const r = await readyz(clientAdmin);
      // First it reports the lost connection, then, once its certificate expires, the expiry.
      return r.status === 503 && /expired|no certificate/.test(r.body) ? r : undefined;
    }, 15_000, 'the client to report not-ready for its expired certificate');
    assert.match(client.body, /expired|no certificate/);
    await waitFor(async () => ((await readyz(agentAdmin)).status === 503 ? true : undefined), 15_000, 'the agent to report not-ready');

    await tunnel.restartServer();
    const back = Date.now();
    await waitFor(async () => ((await readyz(clientAdmin)).status === 200 ? true : undefined), 15_000, 'the client to be ready again');
    const clientMs = Date.now() - back;
    await waitFor(async () => ((await readyz(agentAdmin)).status === 200 ? true : undefined), 20_000, 'the agent to be ready again');
    const socket = await waitFor(
      () => connectWithin(tunnel.proxyPort, `127.0.0.1:${echoTarget.port}`).catch(() => undefined),
      15_000,
      'a tunnel after the server returned',
    );
    assert.equal(await echo(socket, 'back'), 'back');
    socket.destroy();
    assert.ok(clientMs < 5000, `client took ${clientMs} ms to re-authenticate`);
    process.stdout.write(`# client re-authenticated ${clientMs} ms after the server returned\n`);
  });
});
