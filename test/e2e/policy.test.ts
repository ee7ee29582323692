import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { toPartyCredential } from '../../src/cli/party-credential.js';
import { CONNECT_METHOD } from '../../src/client/open-tunnel.js';
import { loadCredential } from '../../src/config/credential.js';
import { ServerLink } from '../../src/identity/server-link.js';
import { createLogger } from '../../src/log/logger.js';
import { openFrame } from '../../src/protocol/frames.js';
import { statusFrom } from '../../src/protocol/grpc-channel.js';
import { GrpcStatus } from '../../src/protocol/grpc-status.js';
import { AGENT, CLIENT, TestTunnel } from '../support/harness.js';
import { TestDnsServer } from '../support/dns-server.js';
import { listenerPair, recordingListener, type RecordingListener } from '../support/recording-listener.js';
import { connectThroughProxy, ProxyRefusal } from '../support/targets.js';

const WIDE = 'wide@clients.test.causeway';
const AGENT2 = 'agent-2@agents.test.causeway';
const GIT = 'git.corp.test';
const ALLOWED_IP = '127.0.0.2';
const DENIED_IP = '127.0.0.1';

/**
 * Issue 4, done-when: a client allowed only git.corp.test:PORT cannot reach the same host on another
 * port, another agent's hosts, 169.254.169.254, [::ffff:127.0.0.1], or a name that resolves first to an
 * allowed IP and then to a denied one. Each attempt is denied and audited, and listeners that record
 * accepts prove the agent made no TCP connection to a denied address.
 */
describe('policy: server ACL on every stream and the agent allowlist', () => {
  let tunnel: TestTunnel;
  let dns: TestDnsServer;
  let git: RecordingListener; // 127.0.0.2:A, the allowed address of git.corp.test
  let gitLoopback: RecordingListener; // 127.0.0.1:A, where a rebinding answer would lead
  let gitOtherPort: RecordingListener; // 127.0.0.2:B, same host, another port
  let otherAgentHost: RecordingListener; // only agent-2 may dial it
  let wideClientPort = 0;
  const narrow = (): number => tunnel.proxyPort;

  before(async () => {
    [git, gitLoopback] = await listenerPair(ALLOWED_IP, DENIED_IP);
    gitOtherPort = await recordingListener(ALLOWED_IP);
    otherAgentHost = await recordingListener(ALLOWED_IP);
    // git.corp.test: 1st A query -> the allowed IP, 2nd -> loopback, 3rd -> both, then the allowed IP again.
    const gitAnswers = [[ALLOWED_IP], [DENIED_IP], [ALLOWED_IP, DENIED_IP]];
    dns = await TestDnsServer.start({
      [GIT]: { A: (n) => gitAnswers[n - 1] ?? [ALLOWED_IP] },
      'admin.corp.test': { A: () => [DENIED_IP] },
    });
    tunnel = await TestTunnel.start({
      noDefaultAcl: true,
      acl: [
        { clients: [CLIENT], agents: [AGENT], destinations: [`${GIT}:${git.port}`] },
        { clients: [WIDE], agents: [AGENT] },
        { clients: [WIDE], agents: [AGENT2], destinations: ['other.corp.test:*'] },
      ],
      allow: [
        { host: GIT, ports: [git.port, gitOtherPort.port] },
        { host: ALLOWED_IP, ports: [git.port, gitOtherPort.port] },
        { host: 'admin.corp.test', ports: ['1024-65535'], allowLoopback: true },
      ],
      agentDns: { servers: [dns.address], timeout: '5s' },
    });
    await tunnel.createCredential(AGENT2, 'agent');
    await tunnel.startAgent(AGENT2, [{ host: 'other.corp.test', ports: [otherAgentHost.port] }, { host: ALLOWED_IP, ports: [otherAgentHost.port] }], {
      'other.corp.test': ALLOWED_IP,
    });
    await tunnel.createCredential(WIDE, 'client');
    wideClientPort = Number((await tunnel.startClient(WIDE)).ready['port']);
  });

  after(async () => {
    await tunnel?.stop();
    await Promise.all([git?.close(), gitLoopback?.close(), gitOtherPort?.close(), otherAgentHost?.close(), dns?.close()]);
  });

  test('the allowed destination works and reaches the address the agent checked', async () => {
    const socket = await connectThroughProxy(narrow(), `${GIT}:${git.port}`);
    assert.equal(await echo(socket, 'ping'), 'ping');
    socket.destroy();
    assert.equal(git.accepted.length, 1);
    assert.equal(dns.count(GIT, 'A'), 1, 'the agent resolved the name exactly once for the dial');
  });

  const narrowDenials: ReadonlyArray<readonly [string, () => string, () => RecordingListener | undefined, string]> = [
    ['the same host on another port', () => `http://${GIT}:${gitOtherPort.port}/`, () => gitOtherPort, `${GIT}:PORT_B`],
    ["another agent's host", () => `http://other.corp.test:${otherAgentHost.port}/`, () => otherAgentHost, 'other.corp.test:PORT_C'],
    ['the cloud metadata address', () => `http://169.254.169.254:${git.port}/`, () => undefined, '169.254.169.254:PORT_A'],
    ['IPv4-mapped loopback [::ffff:127.0.0.1]', () => `http://[::ffff:127.0.0.1]:${git.port}/`, () => gitLoopback, '127.0.0.1:PORT_A'],
  ];
  for (const [name, url, listener, auditTarget] of narrowDenials) {
    test(`curl through the narrow client: ${name} is denied by the ACL (403), audited, never dialled`, async () => {
      const before = listener()?.accepted.length ?? 0;
      assert.equal(await curlConnectCode(narrow(), url()), '403');
      assert.equal(listener()?.accepted.length ?? 0, before, 'the agent connected to a denied address');
      const target = auditTarget.replace('PORT_A', String(git.port)).replace('PORT_B', String(gitOtherPort.port)).replace('PORT_C', String(otherAgentHost.port));
      await waitFor(() => serverAudit().some((r) => r['type'] === 'deny' && r['layer'] === 'acl' && r['identity'] === CLIENT && r['target'] === target), `acl deny for ${target}`);
    });
  }

  test('a name that resolved to the allowed IP and now resolves to loopback is denied by the agent; loopback never dialled', async () => {
    const before = dns.count(GIT, 'A');
    const refusal = await refused(connectThroughProxy(narrow(), `${GIT}:${git.port}`));
    assert.match(refusal.statusLine, /^HTTP\/1\.1 403 /);
    assert.doesNotMatch(refusal.body, /127\.0\.0\.1|loopback/, 'the caller learns no internals');
    assert.equal(dns.count(GIT, 'A'), before + 1);
    assert.equal(gitLoopback.accepted.length, 0, 'the agent connected to the rebound address');
    assert.equal(git.accepted.length, 1);
    await waitFor(() => agentAudit().some((r) => r['type'] === 'deny' && r['identity'] === CLIENT && String(r['reason']).includes(`resolved to loopback address ${DENIED_IP}`)), 'agent deny');
    await waitFor(() => serverAudit().some((r) => r['type'] === 'deny' && r['layer'] === 'allowlist' && r['identity'] === CLIENT && r['agent'] === AGENT), 'server record of the agent deny');
  });

  test('an answer with an allowed and a denied address is denied as a whole; neither is dialled', async () => {
    const refusal = await refused(connectThroughProxy(narrow(), `${GIT}:${git.port}`));
    assert.match(refusal.statusLine, /^HTTP\/1\.1 403 /);
    assert.equal(git.accepted.length, 1);
    assert.equal(gitLoopback.accepted.length, 0);
  });

  test('IP notations are canonicalised before deciding: 127.1, 0x7f000001, 2130706433, 0177.0.0.1, 0 and IPv4-mapped are all refused', async () => {
    for (const host of ['127.1', '0x7f000001', '2130706433', '0177.0.0.1', '0', '[::ffff:7f00:1]']) {
      const refusal = await refused(connectThroughProxy(wideClientPort, `${host}:${git.port}`));
      assert.match(refusal.statusLine, /^HTTP\/1\.1 403 /, host);
    }
    assert.equal(gitLoopback.accepted.length, 0);
    const canonical = (): number => serverAudit().filter((r) => r['type'] === 'deny' && r['identity'] === WIDE && r['target'] === `${DENIED_IP}:${git.port}`).length;
    await waitFor(() => canonical() >= 5, 'the audit of every notation');
    assert.equal(canonical(), 5, 'each notation of 127.0.0.1 was audited as 127.0.0.1');
    await waitFor(() => serverAudit().some((r) => r['type'] === 'deny' && r['identity'] === WIDE && r['target'] === `0.0.0.0:${git.port}`), '"0" audited as 0.0.0.0');
  });

  test("the agent's own admin port is never reachable, even through an entry that allows its port and loopback", async () => {
    const adminPort = Number(tunnel.agent.ready['adminPort']);
    const refusal = await refused(connectThroughProxy(wideClientPort, `admin.corp.test:${adminPort}`));
    assert.match(refusal.statusLine, /^HTTP\/1\.1 403 /);
    await waitFor(() => agentAudit().some((r) => r['type'] === 'deny' && r['identity'] === WIDE && String(r['reason']).includes("the agent's own admin endpoint")), 'admin deny');
  });

  test('denies are counted per layer on both admin endpoints', async () => {
    const server = (await (await fetch(`http://127.0.0.1:${tunnel.serverAdminPort}/status`)).json()) as { denies: Record<string, number> };
    const agent = (await (await fetch(`http://127.0.0.1:${String(tunnel.agent.ready['adminPort'])}/status`)).json()) as { denies: Record<string, number> };
    assert.ok(server.denies['acl']! >= 4, JSON.stringify(server.denies));
    assert.ok(server.denies['allowlist']! >= 8, JSON.stringify(server.denies));
    assert.ok(agent.denies['allowlist']! >= 3, JSON.stringify(agent.denies));
  });

  test('ACL reload on file change closes a live tunnel it no longer permits and audits it; an invalid file keeps the ACL', async () => {
    const socket = await connectThroughProxy(narrow(), `${GIT}:${git.port}`);
    assert.equal(await echo(socket, 'live'), 'live');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.resume();

    editYaml(tunnel.configFile('server'), (config) => {
      (config['acl'] as { destinations?: string[] }[])[0]!.destinations = [`${GIT}:${gitOtherPort.port}`];
    });
    await tunnel.server.waitForLog((l) => l['event'] === 'policy.reloaded', 20_000);
    await within(closed, 20_000, 'the live tunnel to close');
    await waitFor(() => serverAudit().some((r) => r['type'] === 'deny' && String(r['reason']).startsWith('acl reloaded; live tunnel closed') && r['identity'] === CLIENT), 'reload deny');
    assert.equal(await curlConnectCode(narrow(), `http://${GIT}:${git.port}/`), '403', 'the old destination is no longer permitted');

    writeAtomically(tunnel.configFile('server'), 'acl: [{ clients: [] }]\n');
    const failed = await tunnel.server.waitForLog((l) => l['event'] === 'policy.reload-failed', 20_000);
    assert.match(String(failed['err']), /acl\[0\]/);
    tunnel.server.child.kill('SIGHUP');
    const onSignal = await tunnel.server.waitForLog((l) => l['event'] === 'policy.reload-failed' && l['trigger'] === 'SIGHUP', 20_000);
    assert.match(String(onSignal['err']), /acl\[0\]/, 'SIGHUP reloads too, and refuses the same invalid file');
    const stillOpen = await connectThroughProxy(narrow(), `${GIT}:${gitOtherPort.port}`);
    assert.equal(await echo(stillOpen, 'kept'), 'kept', 'the last good ACL stays in force');
    stillOpen.destroy();
  });

  test('allowlist reload (file change and SIGHUP) closes live tunnels it no longer allows; the agent re-registers its summary', async () => {
    const socket = await connectThroughProxy(narrow(), `${GIT}:${gitOtherPort.port}`);
    assert.equal(await echo(socket, 'live'), 'live');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.resume();

    const reloads = (): number => tunnel.agent.logs.filter((l) => l['event'] === 'policy.reloaded').length;
    const seen = reloads();
    editYaml(tunnel.configFile(AGENT), (config) => {
      (config['allow'] as { ports: number[] }[])[0]!.ports = [git.port];
      (config['allow'] as { ports: number[] }[])[1]!.ports = [git.port];
    });
    await waitFor(() => reloads() > seen, 'agent reload');
    await within(closed, 20_000, 'the live tunnel to close');
    await waitFor(() => agentAudit().some((r) => r['type'] === 'deny' && String(r['reason']).startsWith('allowlist reloaded; live tunnel closed')), 'agent reload deny');
    // The server now routes by the new summary: the port is refused before any agent is asked.
    const target = `${GIT}:${gitOtherPort.port}`;
    const refusedBySummary = (): boolean =>
      serverAudit().some((r) => r['type'] === 'deny' && r['target'] === target && String(r['reason']).includes('by the allowlists the agents advertise'));
    await waitFor(async () => {
      assert.equal(await curlConnectCode(narrow(), `http://${target}/`), '403');
      return refusedBySummary();
    }, 'the re-registered summary');

    tunnel.agent.child.kill('SIGHUP');
    await tunnel.agent.waitForLog((l) => l['event'] === 'policy.reloaded' && l['trigger'] === 'SIGHUP', 20_000);

    writeAtomically(tunnel.configFile(AGENT), 'credentials: ./agent-1.json\nallow: [{ host: "*", ports: [1] }]\n');
    const failed = await tunnel.agent.waitForLog((l) => l['event'] === 'policy.reload-failed', 20_000);
    assert.match(String(failed['err']), /allow\[0\]\.host/);
  });

  test('gRPC callers get PERMISSION_DENIED for denials and INVALID_ARGUMENT (audited) for hosts that do not parse', async () => {
    const link = new ServerLink(toPartyCredential(loadCredential(`${tunnel.dir}/client-1.json`).credential), {
      address: tunnel.serverAddress,
      log: createLogger('test', 'silent'),
    });
    await link.start();
    try {
      const rows: ReadonlyArray<readonly [string, number, number, string | undefined]> = [
        // The server canonicalises before its ACL: these all name 127.0.0.1 or 169.254.169.254, not git.corp.test.
        ['0x7f000001', git.port, GrpcStatus.PERMISSION_DENIED, `${DENIED_IP}:${git.port}`],
        ['0177.0.0.1', git.port, GrpcStatus.PERMISSION_DENIED, `${DENIED_IP}:${git.port}`],
        ['::ffff:a9fe:a9fe', git.port, GrpcStatus.PERMISSION_DENIED, `169.254.169.254:${git.port}`],
        ['GIT.corp.test.', 1, GrpcStatus.PERMISSION_DENIED, `${GIT}:1`],
        ['fe80::1%eth0', git.port, GrpcStatus.INVALID_ARGUMENT, undefined],
        ['git.corp.test/../x', git.port, GrpcStatus.INVALID_ARGUMENT, undefined],
        ['a'.repeat(2000), git.port, GrpcStatus.INVALID_ARGUMENT, undefined],
      ];
      for (const [host, port, expected, auditTarget] of rows) {
        const channel = await link.channel();
        const stream = channel.openStream(CONNECT_METHOD);
        const status = await new Promise<number>((resolve) => {
          let got: number | undefined;
          const take = (headers: Parameters<typeof statusFrom>[0]): void => {
            got ??= statusFrom(headers)?.status;
          };
          stream.on('response', take);
          stream.on('trailers', take);
          stream.on('error', () => undefined);
          stream.on('close', () => resolve(got ?? -1));
          stream.resume();
          stream.end(openFrame(host, port));
        });
        assert.equal(status, expected, host.slice(0, 40));
        if (auditTarget !== undefined) {
          await waitFor(() => serverAudit().some((r) => r['type'] === 'deny' && r['layer'] === 'acl' && r['identity'] === CLIENT && r['target'] === auditTarget), `deny of ${auditTarget}`);
        }
      }
      // The audit file is written asynchronously: the answer can reach the caller before the line lands.
      const invalid = (): number => serverAudit().filter((r) => r['type'] === 'deny' && r['identity'] === CLIENT && String(r['reason']).startsWith('invalid open request')).length;
      await waitFor(() => invalid() >= 3, 'the audit of every unparsable target');
      assert.equal(invalid(), 3);
      assert.equal(gitLoopback.accepted.length, 0);
    } finally {
      link.stop();
    }
  });

  function serverAudit(): Record<string, unknown>[] {
    return readFileSync(`${tunnel.dataDir}/audit.jsonl`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  function agentAudit(): Record<string, unknown>[] {
    return tunnel.agent.stdout.map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
  }
});

/** Runs real curl through the proxy with CONNECT forced; resolves with the proxy's CONNECT status. */
function curlConnectCode(proxyPort: number, url: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-sS', '-p', '-x', `http://127.0.0.1:${proxyPort}`, '--max-time', '30', '-o', '/dev/null', '-w', '%{http_connect}', url],
      (_err, stdout) => resolve(stdout.trim()),
    );
  });
}

function refused(attempt: Promise<Socket>): Promise<ProxyRefusal> {
  return attempt.then(
    (socket) => {
      socket.destroy();
      throw new Error('the proxy opened a tunnel that should have been refused');
    },
    (err: unknown) => {
      if (err instanceof ProxyRefusal) return err;
      throw err;
    },
  );
}

function echo(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (chunk: Buffer): void => {
      got += chunk.toString();
      if (got.length >= text.length) {
        socket.off('data', onData);
        socket.pause();
        resolve(got);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`the tunnel closed before echoing ${JSON.stringify(text)}`)));
    socket.resume();
    socket.write(text);
  });
}

function editYaml(file: string, change: (config: Record<string, unknown>) => void): void {
  const config = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  change(config);
  writeAtomically(file, stringify(config));
}

/** Writes by rename, as editors do, so the watcher never reads a half-written file. */
function writeAtomically(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
