import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { initCa } from '../../src/pki/ca.js';
import { launch, type LaunchedProgram } from '../../src/quickstart/launch.js';
import { createIdentity } from '../../src/registry/create-identity.js';
import { startHaproxy } from '../support/haproxy.js';
import { getJson, pollUntil, type ServerStatus } from '../support/status.js';
import { connectThroughProxy, listenTcp } from '../support/targets.js';
import { writeReplicaConfigs } from '../support/replica-configs.js';

const AGENT = 'ha-agent@agents.test.causeway';
const clientName = (i: number): string => `ha-client-${i}@clients.test.causeway`;

interface Replica {
  id: string;
  port: number;
  config: string;
  program: LaunchedProgram;
}

describe('server replicas behind HAProxy', () => {
  let dir: string;
  const replicas: Replica[] = [];
  const programs: LaunchedProgram[] = [];
  let haproxy: Awaited<ReturnType<typeof startHaproxy>>;
  let stream: Awaited<ReturnType<typeof listenTcp>>;
  let echo: Awaited<ReturnType<typeof listenTcp>>;
  let agent: LaunchedProgram;
  const clients: { name: string; program: LaunchedProgram; port: number }[] = [];

  const startReplica = async (r: Omit<Replica, 'program'>): Promise<LaunchedProgram> => {
    const program = await launch(['server', '--config', r.config], { logFile: join(dir, 'logs', `${r.id}.log`) });
    programs.push(program);
    return program;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'causeway-ha-'));
    mkdirSync(join(dir, 'logs'));
    const chunk = Buffer.alloc(4096, 1);
    stream = await listenTcp((socket) => {
      const timer = setInterval(() => {
        if (socket.writableLength < 256 * 1024) socket.write(chunk);
      }, 10);
      socket.on('close', () => clearInterval(timer));
    });
    echo = await listenTcp((socket) => socket.pipe(socket));
    const dataDir = join(dir, 'data');
    await initCa(join(dataDir, 'ca'), { trustDomain: 'test.causeway' });
    const configs = await writeReplicaConfigs(dir, ['r1', 'r2'], { dataDir, acl: [{ clients: ['ha-client-*@clients.test.causeway'], agents: [AGENT] }] });
    for (const r of configs) replicas.push({ ...r, program: await startReplica(r) });
    haproxy = await startHaproxy(dir, replicas.map((r) => r.port));
    const lb = `127.0.0.1:${haproxy.port}`;
    await createIdentity({ dataDir, name: AGENT, role: 'agent', server: lb, serverName: 'localhost', out: join(dir, 'agent.json') });
    writeFileSync(
      join(dir, 'agent.yaml'),
      stringify({
        credentials: './agent.json',
        admin: '127.0.0.1:0',
        servers: replicas.map((r) => `127.0.0.1:${r.port}`),
        allow: [{ host: '127.0.0.1', ports: [stream.port, echo.port] }],
      }),
    );
    agent = await launch(['agent', '--config', join(dir, 'agent.yaml')], { logFile: join(dir, 'logs', 'agent.log') });
    programs.push(agent);
    await pollUntil(() => agent.logs.filter((l) => l['msg'] === 'registered with the server').length >= 2, 20_000, 'agent on both replicas');

    dataDirPath = dataDir;
  });

  let dataDirPath = '';

  /** Which replica a client's connection rides on, found by opening a tunnel and asking both replicas. */
  async function replicaOf(port: number, name: string): Promise<string | undefined> {
    const socket = await connectThroughProxy(port, `127.0.0.1:${stream.port}`);
    try {
      for (const r of replicas) {
        if ((await statusOf(r)).tunnels.some((t) => t.client === name)) return r.id;
      }
      return undefined;
    } finally {
      socket.destroy();
    }
  }

  /**
   * Starts clients until each replica carries at least one. A plain connection through the balancer
   * between starts shifts its round-robin, so the clients do not all land on one replica.
   */
  async function ensureSpread(): Promise<Map<string, string>> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const where = new Map<string, string>();
      for (const c of clients) {
        const id = await replicaOf(c.port, c.name);
        if (id) where.set(c.name, id);
      }
      if (replicas.every((r) => [...where.values()].includes(r.id))) return where;
      const i = clients.length;
      const name = clientName(i);
      const lb = `127.0.0.1:${haproxy.port}`;
      await createIdentity({ dataDir: dataDirPath, name, role: 'client', server: lb, serverName: 'localhost', out: join(dir, `c${i}.json`) });
      writeFileSync(join(dir, `c${i}.yaml`), stringify({ credentials: `./c${i}.json`, listen: '127.0.0.1:0' }));
      const program = await launch(['client', '--config', join(dir, `c${i}.yaml`)], { logFile: join(dir, 'logs', `c${i}.log`) });
      programs.push(program);
      clients.push({ name, program, port: Number(program.ready['port']) });
      const nudge = net.connect({ port: haproxy.port, host: '127.0.0.1' });
      await new Promise((resolve) => nudge.once('connect', resolve).once('error', resolve));
      nudge.destroy();
    }
    throw new Error('could not spread clients over both replicas');
  }

  after(async () => {
    await Promise.all(programs.map((p) => p.stop()));
    await haproxy?.stop();
    await Promise.all([stream?.close(), echo?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function statusOf(r: Replica): Promise<ServerStatus> {
    return getJson<ServerStatus>(Number(r.program.ready['adminPort']), '/status');
  }

  test('a rolling restart drops no tunnel that was not on the restarted replica, and new connections never fail for more than 1 s', async () => {
    let longestOutage = 0;
    let failingSince: number | undefined;
    let probes = 0;
    let stop = false;
    await ensureSpread();
    const prober = (async () => {
      while (!stop) {
        const client = clients[probes++ % clients.length]!;
        try {
          await echoOnce(client.port, echo.port);
          if (failingSince !== undefined) longestOutage = Math.max(longestOutage, Date.now() - failingSince);
          failingSince = undefined;
        } catch {
          failingSince ??= Date.now();
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    for (const replica of replicas) {
      const where = await ensureSpread();
      // Long-lived tunnels from every client; note which replica each rides on.
      const live: { socket: Socket; client: string; bytes: number; closed: boolean }[] = [];
      for (const c of clients) {
        const socket = await connectThroughProxy(c.port, `127.0.0.1:${stream.port}`);
        const entry = { socket, client: c.name, bytes: 0, closed: false };
        socket.on('data', (d: Buffer) => (entry.bytes += d.length));
        socket.on('close', () => (entry.closed = true));
        socket.on('error', () => undefined);
        socket.resume();
        live.push(entry);
      }
      const elsewhere = live.filter((t) => where.get(t.client) !== replica.id);
      assert.ok(elsewhere.length > 0 && elsewhere.length < live.length, 'tunnels ride on both replicas');

      await replica.program.stop('SIGTERM');
      replica.program = await startReplica(replica);
      await pollUntil(async () => {
        const s = await getJson<{ registrations: { replicaId?: string }[] }>(Number(agent.ready['adminPort']), '/status');
        return s.registrations.every((r) => r.replicaId);
      }, 10_000, 'agent registered with both replicas again');

      const marks = elsewhere.map((t) => t.bytes);
      await pollUntil(() => elsewhere.every((t, i) => t.bytes > marks[i]!), 5_000, 'surviving tunnels to keep flowing');
      for (const t of elsewhere) assert.equal(t.closed, false, `tunnel of ${t.client} on the other replica was dropped`);
      for (const t of live) t.socket.destroy();
    }
    stop = true;
    await prober;
    if (failingSince !== undefined) longestOutage = Math.max(longestOutage, Date.now() - failingSince);
    assert.ok(probes > 10, `only ${probes} probes ran`);
    assert.ok(longestOutage <= 1000, `new connections failed for ${longestOutage} ms in a row`);
  });
});

async function echoOnce(proxyPort: number, port: number): Promise<void> {
  const socket = await connectThroughProxy(proxyPort, `127.0.0.1:${port}`);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('echo timed out')), 3000);
      socket.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', reject);
      socket.resume();
      socket.write('x');
    });
  } finally {
    socket.destroy();
  }
}
