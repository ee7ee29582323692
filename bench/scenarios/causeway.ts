import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { initCa } from '../../src/pki/ca.js';
import { launch, type LaunchedProgram } from '../../src/quickstart/launch.js';
import { createIdentity } from '../../src/registry/create-identity.js';
import type { Dial } from '../load.js';
import { startDelayLine, tcpDial, type Scenario } from '../scenario.js';

const TRUST_DOMAIN = 'bench.causeway';
const AGENT = 'bench-agent@agents.bench.causeway';
const CLIENT = 'bench-client@clients.bench.causeway';
/** Far above the bench's 10,000 idle tunnels, so no limit of ours is what the bench measures. */
const LIMIT = 50_000;

/** Opens a tunnel with HTTP CONNECT through the client's proxy port, as git or curl would. */
function connectDial(proxyPort: number, targetPort: number): Dial {
  const proxy = tcpDial(proxyPort);
  return async () => {
    const socket: Socket = await proxy();
    socket.write(`CONNECT 127.0.0.1:${targetPort} HTTP/1.1\r\nHost: 127.0.0.1:${targetPort}\r\n\r\n`);
    return new Promise<Socket>((resolve, reject) => {
      let head: Buffer = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        socket.off('error', reject);
        socket.pause();
        const status = head.subarray(0, end).toString('latin1');
        if (!status.startsWith('HTTP/1.1 200')) {
          socket.destroy();
          reject(new Error(`CONNECT answered: ${status.split('\r\n')[0]}`));
          return;
        }
        if (head.length > end + 4) socket.unshift(head.subarray(end + 4));
        resolve(socket);
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.once('end', () => reject(new Error('proxy closed before answering CONNECT')));
    });
  };
}

/**
 * Causeway's full path with real processes from the CLI: HTTP CONNECT into the client → server →
 * agent → target, mTLS with certificates from our CA. A second client reaches the server through the
 * delay line (the long-haul hop). With `cpuProfileDir`, each program writes a CPU profile there on exit.
 */
export async function startCauseway(dir: string, targetPort: number, cpuProfileDir?: string): Promise<Scenario> {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const dataDir = join(dir, 'server-data');
  await initCa(join(dataDir, 'ca'), { trustDomain: TRUST_DOMAIN });
  const hook = fileURLToPath(new URL('../cpu-profile-hook.js', import.meta.url));
  const env = { ...process.env, ...(cpuProfileDir ? { NODE_OPTIONS: `--import=${hook}`, BENCH_CPU_PROF_DIR: cpuProfileDir } : {}) };
  const programs: LaunchedProgram[] = [];
  const start = async (program: string, config: Record<string, unknown>): Promise<LaunchedProgram> => {
    const file = join(dir, `${program}-${programs.length}.yaml`);
    writeFileSync(file, stringify(config));
    const launched = await launch([program, '--config', file], { env, logFile: join(dir, 'logs', `${program}-${programs.length}.log`) });
    programs.push(launched);
    return launched;
  };
  try {
    const server = await start('server', {
      listen: '127.0.0.1:0',
      dataDir,
      serverNames: ['localhost'],
      acl: [{ clients: [CLIENT], agents: [AGENT] }],
      limits: { maxStreamsPerIdentity: LIMIT, maxPendingDials: LIMIT },
    });
    const serverPort = Number(server.ready['port']);
    const delay = await startDelayLine(serverPort);
    const credential = async (name: string, role: 'agent' | 'client', port: number, file: string): Promise<string> => {
      const out = join(dir, file);
      await createIdentity({ dataDir, name, role, server: `127.0.0.1:${port}`, serverName: 'localhost', out });
      return out;
    };
    const agentCredential = await credential(AGENT, 'agent', serverPort, 'agent.json');
    const clientCredential = await credential(CLIENT, 'client', serverPort, 'client.json');
    const agent = await start('agent', {
      credentials: agentCredential,
      allow: [{ host: '127.0.0.1', ports: [targetPort], allowLoopback: true }],
      limits: { maxTunnels: LIMIT },
    });
    await agent.waitForLog((line) => line['msg'] === 'registered with the server', 20_000);
    const client = await start('client', { credentials: clientCredential, listen: '127.0.0.1:0', limits: { maxConnections: LIMIT } });
    // The delayed client's credential names the delay line as its server address.
    const delayedCredential = join(dir, 'client-delayed.json');
    const raw = JSON.parse(readFileSync(clientCredential, 'utf8')) as Record<string, unknown>;
    writeFileSync(delayedCredential, JSON.stringify({ ...raw, server: `127.0.0.1:${delay.port}` }), { mode: 0o600 });
    const delayedClient = await start('client', { credentials: delayedCredential, listen: '127.0.0.1:0' });
    return {
      name: 'causeway',
      dial: connectDial(Number(client.ready['port']), targetPort),
      dialDelayed: connectDial(Number(delayedClient.ready['port']), targetPort),
      processes: { server: server.child.pid!, client: client.child.pid!, agent: agent.child.pid! },
      server: { pid: server.child.pid!, forks: false },
      stop: async () => {
        await Promise.all(programs.map((p) => p.stop()));
        await delay.stop();
      },
    };
  } catch (err) {
    await Promise.all(programs.map((p) => p.stop()));
    throw err;
  }
}
