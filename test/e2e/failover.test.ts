import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { AGENT, TestTunnel } from '../support/harness.js';
import { getJson, pollUntil, type ServerStatus } from '../support/status.js';
import { connectThroughProxy, listenTcp } from '../support/targets.js';

/** A target that streams bytes until the peer goes away, and one that echoes. */
async function targets(): Promise<{ stream: Awaited<ReturnType<typeof listenTcp>>; echo: Awaited<ReturnType<typeof listenTcp>> }> {
  const chunk = Buffer.alloc(16 * 1024, 7);
  const stream = await listenTcp((socket) => {
    const timer = setInterval(() => {
      if (!socket.destroyed && socket.writableLength < 1024 * 1024) socket.write(chunk);
    }, 5);
    socket.on('close', () => clearInterval(timer));
  });
  const echo = await listenTcp((socket) => socket.pipe(socket));
  return { stream, echo };
}

async function echoOnce(proxyPort: number, target: string): Promise<void> {
  const socket = await connectThroughProxy(proxyPort, target);
  await new Promise<void>((resolve, reject) => {
    socket.once('data', (data: Buffer) => {
      if (data.toString() === 'ping') resolve();
      else reject(new Error('bad echo'));
      socket.destroy();
    });
    socket.once('error', reject);
    socket.resume();
    socket.write('ping');
  });
}

describe('failover and recovery', () => {
  let tunnel: TestTunnel;
  let t: Awaited<ReturnType<typeof targets>>;
  let allow: { host: string; ports: number[] }[];

  before(async () => {
    t = await targets();
    allow = [{ host: '127.0.0.1', ports: [t.stream.port, t.echo.port] }];
    tunnel = await TestTunnel.start({ allow });
  });
  after(async () => {
    await tunnel?.stop();
    await Promise.all([t?.stream.close(), t?.echo.close()]);
  });

  test('kill -9 of the agent carrying a transfer: the client sees an error, new connections go through the other agent within 1 s', async () => {
    const second = await tunnel.startAgent(AGENT, allow, {});
    const agents = [tunnel.agent, second];
    await pollUntil(async () => (await getJson<ServerStatus>(tunnel.serverAdminPort, '/status')).agents.length === 2, 10_000, 'two agents');

    const socket: Socket = await connectThroughProxy(tunnel.proxyPort, `127.0.0.1:${t.stream.port}`);
    let received = 0;
    const ended = new Promise<string>((resolve) => {
      socket.on('error', (err) => resolve(`error ${err.message}`));
      socket.on('close', () => resolve('closed'));
    });
    socket.on('data', (c: Buffer) => (received += c.length));
    socket.resume();
    await pollUntil(() => received > 1024 * 1024, 10_000, 'bytes flowing');

    const carrier = agents.find((a) => a.stdout.some((l) => l.includes('"type":"tunnel.opened"')));
    assert.ok(carrier, 'one agent reports the tunnel');
    const survivor = agents.find((a) => a !== carrier)!;
    await carrier.stop('SIGKILL');
    const killedAt = Date.now();

    const how = await Promise.race([ended, new Promise<string>((resolve) => setTimeout(() => resolve('hang'), 15_000))]);
    assert.notEqual(how, 'hang', 'the client must see the tunnel end, not hang');

    await echoOnce(tunnel.proxyPort, `127.0.0.1:${t.echo.port}`);
    const elapsed = Date.now() - killedAt;
    assert.ok(elapsed < 1000, `first new connection after the kill took ${elapsed} ms`);
    assert.ok(survivor.stdout.some((l) => l.includes('"type":"tunnel.opened"') && l.includes(String(t.echo.port))));
    const status = await getJson<ServerStatus>(tunnel.serverAdminPort, '/status');
    assert.equal(status.agents.length, 1, 'the dead agent is no longer registered');
  });

  test('server restart: agents re-register within 5 s of its return and new connections work', async () => {
    const registrations = (): number => tunnel.programs.filter((p) => p.child.exitCode === null).reduce(
      (n, p) => n + p.logs.filter((l) => l['msg'] === 'registered with the server').length,
      0,
    );
    const before = registrations();
    await tunnel.restartServer();
    const back = Date.now();
    await pollUntil(() => registrations() > before, 5_000, 'agent re-registration');
    const took = Date.now() - back;
    assert.ok(took <= 5000, `re-registered after ${took} ms`);
    await pollUntil(
      () => echoOnce(tunnel.proxyPort, `127.0.0.1:${t.echo.port}`).then(() => true),
      5_000,
      'a new connection through the restarted server',
    );
    const status = await getJson<ServerStatus>(tunnel.serverAdminPort, '/status');
    assert.equal(status.agents.length, 1);
  });
});
