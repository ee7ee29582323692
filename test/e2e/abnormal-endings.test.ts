import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LaunchedProgram } from '../../src/quickstart/launch.js';
import { AGENT, TestTunnel } from '../support/harness.js';
import { getJson, pollUntil, type ServerStatus } from '../support/status.js';
import { connectThroughProxy, freeClosedPort, listenTcp } from '../support/targets.js';

const TOTAL = 10_000;
const IN_FLIGHT = 32;

interface ProcessReport {
  memory: { heapUsed: number };
  openFds: number;
}

type Ending = 'client-reset' | 'target-refused' | 'target-blackholed' | 'fin-never-acknowledged';
const ENDINGS: Ending[] = ['client-reset', 'target-refused', 'target-blackholed', 'fin-never-acknowledged'];

describe('abnormal endings', () => {
  let tunnel: TestTunnel;
  let echo: Awaited<ReturnType<typeof listenTcp>>;
  let blackhole: Awaited<ReturnType<typeof listenTcp>>;
  let refusedPort: number;
  const allow = (): { host: string; ports: number[] }[] => [{ host: '127.0.0.1', ports: [echo.port, blackhole.port, refusedPort] }];

  before(async () => {
    echo = await listenTcp((socket) => socket.pipe(socket));
    // Accepts, never reads, never answers, never closes.
    blackhole = await listenTcp((socket) => socket.pause());
    refusedPort = await freeClosedPort();
    // A half-closed tunnel whose far end never closes is only ended by the idle timeout: keep it short.
    tunnel = await TestTunnel.start({
      allow: allow(),
      env: { ...process.env, NODE_OPTIONS: '--expose-gc' },
      agentConfig: { limits: { idleTimeout: '3s' } },
      clientConfig: { limits: { idleTimeout: '3s' } },
    });
  });
  after(async () => {
    await tunnel?.stop();
    await Promise.all([echo?.close(), blackhole?.close()]);
  });

  const report = (p: LaunchedProgram): Promise<ProcessReport> => getJson<ProcessReport>(Number(p.ready['adminPort']), '/process');

  async function once(ending: Ending): Promise<void> {
    const target =
      ending === 'target-refused'
        ? refusedPort
        : ending === 'target-blackholed' || ending === 'fin-never-acknowledged'
          ? blackhole.port
          : echo.port;
    let socket;
    try {
      socket = await connectThroughProxy(tunnel.proxyPort, `127.0.0.1:${target}`);
    } catch {
      return; // refused (502) or the agent was being killed: an abnormal ending too
    }
    socket.on('error', () => undefined);
    socket.resume();
    socket.write(Buffer.alloc(1024, 1));
    if (ending === 'fin-never-acknowledged') {
      // Half-close toward a target that never answers the FIN; then give up on it.
      socket.end();
      await new Promise((resolve) => setTimeout(resolve, 5));
      socket.destroy();
    } else if (ending === 'client-reset') {
      socket.resetAndDestroy();
    } else {
      await new Promise((resolve) => setTimeout(resolve, 5));
      socket.destroy();
    }
  }

  test(`${TOTAL} mixed abnormal endings leave fds, streams and heap at baseline`, async () => {
    const programs = () => ({ server: tunnel.server, client: tunnel.client, agent: tunnel.agent });
    // Warm up so lazily created state (pools, JIT) is in the baseline.
    for (let i = 0; i < 200; i++) await once(ENDINGS[i % ENDINGS.length]!);
    await settle();
    // A second agent of the same identity takes over while the first is killed and restarted.
    tunnel.agent = await tunnel.startAgent(AGENT, allow(), {}, {}, { limits: { idleTimeout: '3s' } });
    const baseline = await measure(programs());

    let started = 0;
    let kills = 0;
    const worker = async (): Promise<void> => {
      while (started < TOTAL) {
        const n = started++;
        if (n > 0 && n % 3000 === 0) {
          // "agent killed": kill -9 the agent with live tunnels, start a fresh one.
          kills++;
          const victim = tunnel.programs.find((p) => p.child.exitCode === null && p.child.signalCode === null && p.ready['instanceId'] && p !== tunnel.agent);
          if (victim) {
            await victim.stop('SIGKILL');
            await tunnel.startAgent(AGENT, allow(), {}, {}, { limits: { idleTimeout: '3s' } });
          }
        }
        await once(ENDINGS[n % ENDINGS.length]!);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    await settle();
    const final = await measure(programs());
    console.log(`after ${TOTAL} endings and ${kills} agent kills: baseline ${JSON.stringify(baseline)} final ${JSON.stringify(final)}`);
    for (const name of Object.keys(baseline) as (keyof typeof baseline)[]) {
      const b = baseline[name];
      const f = final[name];
      assert.ok(f.openFds <= Math.ceil(b.openFds * 1.1) + 2, `${name} fds ${b.openFds} -> ${f.openFds}`);
      assert.ok(f.heapUsed <= b.heapUsed * 1.1 + 2 * 1024 * 1024, `${name} heap ${b.heapUsed} -> ${f.heapUsed}`);
    }
  });

  async function settle(): Promise<void> {
    await pollUntil(async () => (await getJson<ServerStatus>(tunnel.serverAdminPort, '/status')).tunnels.length === 0, 30_000, 'server tunnels to drain');
    for (const p of tunnel.programs.filter((x) => x.child.exitCode === null && x.child.signalCode === null && x.ready['instanceId'])) {
      await pollUntil(async () => (await getJson<{ tunnels: number }>(Number(p.ready['adminPort']), '/status')).tunnels === 0, 30_000, 'agent tunnels to drain');
    }
  }

  async function measure(p: Record<string, LaunchedProgram>): Promise<Record<string, { openFds: number; heapUsed: number }>> {
    const out: Record<string, { openFds: number; heapUsed: number }> = {};
    for (const [name, program] of Object.entries(p)) {
      const r = await report(program);
      out[name] = { openFds: r.openFds, heapUsed: r.memory.heapUsed };
    }
    return out;
  }
});
