import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestTunnel } from '../support/harness.js';
import { connectThroughProxy, hashUntilEnd, listenTcp, sendRandom } from '../support/targets.js';

const TUNNELS = 50;
const BYTES = 2 * 1024 * 1024;

/**
 * Regression: with large HTTP/2 windows, many tunnels sending both ways at once filled the TCP buffers
 * in both directions; node stops reading a session while its own write is pending, so both ends
 * waited on each other until keepalive killed the connection and every tunnel on it.
 */
describe('many tunnels echoing both ways at once over one connection', () => {
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

  test(`${TUNNELS} × ${BYTES / 1024 / 1024} MiB echoed concurrently all arrive intact`, async () => {
    const results = await Promise.allSettled(
      Array.from({ length: TUNNELS }, async () => {
        const socket = await connectThroughProxy(tunnel.proxyPort, `127.0.0.1:${echo.port}`);
        const received = hashUntilEnd(socket);
        const sent = await sendRandom(socket, BYTES);
        socket.end();
        const got = await received;
        socket.destroy();
        assert.equal(got.bytes, BYTES);
        assert.equal(got.sha256, sent);
      }),
    );
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(failed.length, 0, `${failed.length} of ${TUNNELS} failed: ${String(failed[0]?.reason)}`);
  });
});
