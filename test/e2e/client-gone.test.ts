import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { GrpcStatus } from '../../src/protocol/grpc-status.js';
import { UNAUTHENTICATED_IDLE_MS, UNAUTHENTICATED_MAX_STREAMS } from '../../src/protocol/grpc-server.js';
import { TestTunnel } from '../support/harness.js';
import { getJson, pollUntil, type ServerStatus } from '../support/status.js';
import { listenTcp } from '../support/targets.js';

describe('peers that go away or never finish', () => {
  let tunnel: TestTunnel;
  let echo: Awaited<ReturnType<typeof listenTcp>>;

  before(async () => {
    echo = await listenTcp((socket) => socket.pipe(socket));
    tunnel = await TestTunnel.start({ allow: [{ host: '127.0.0.1', ports: [echo.port] }] });
  });
  after(async () => {
    await tunnel?.stop();
    await echo?.close();
  });

  test('a caller that sends CONNECT and closes at once leaves no tunnel behind', async () => {
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) => {
        const socket = net.connect({ port: tunnel.proxyPort, host: '127.0.0.1' }, () => {
          socket.end(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\n\r\n`);
          socket.on('error', () => undefined);
          socket.resume();
          socket.on('close', () => resolve());
        });
      });
    }
    await pollUntil(async () => echo.accepted() >= 20, 15_000, 'the dials');
    await pollUntil(async () => (await getJson<ServerStatus>(tunnel.serverAdminPort, '/status')).tunnels.length === 0, 15_000, 'no tunnels at the server');
    await pollUntil(
      async () => (await getJson<{ tunnels: number }>(Number(tunnel.agent.ready['adminPort']), '/status')).tunnels === 0,
      15_000,
      'no tunnels at the agent',
    );
  });

  test('a connection without a certificate gets a few calls at a time and is dropped when it stalls', async () => {
    const ca = JSON.parse(readFileSync(`${tunnel.dir}/client-1.json`, 'utf8')) as { caBundle: string };
    const session = http2.connect(`https://127.0.0.1:${tunnel.serverPort}`, { ca: ca.caBundle, servername: 'localhost' });
    session.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => session.once('close', () => resolve(Date.now())));
    const statuses: number[] = [];
    for (let i = 0; i < UNAUTHENTICATED_MAX_STREAMS + 3; i++) {
      const stream = session.request({ ':method': 'POST', ':path': '/causeway.v1.Identity/IssueCertificate', 'content-type': 'application/grpc' });
      stream.on('error', () => undefined);
      stream.on('response', (h) => {
        if (h['grpc-status'] !== undefined) statuses.push(Number(h['grpc-status']));
      });
      // A length prefix that promises far more than will ever come.
      const head = Buffer.alloc(5);
      head.writeUInt32BE(60_000, 1);
      stream.write(Buffer.concat([head, Buffer.alloc(1000)]));
    }
    const opened = Date.now();
    await pollUntil(() => statuses.length >= 3, 10_000, 'refusals beyond the limit');
    assert.ok(statuses.every((s) => s === GrpcStatus.RESOURCE_EXHAUSTED), `statuses ${statuses.join(',')}`);
    const closedAt = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), UNAUTHENTICATED_IDLE_MS + 20_000))]);
    assert.notEqual(closedAt, -1, 'the stalled anonymous connection was never dropped');
    assert.ok(closedAt - opened <= UNAUTHENTICATED_IDLE_MS + 15_000);
  });
});
