import net, { type Server, type Socket } from 'node:net';
import type { HostPort } from '../config/address.js';
import type { ConnectionGate } from './connection-gate.js';
import type { FrontEndContext } from './front-end-context.js';
import { relay, tryOpenTunnel } from './relay.js';

/** One fixed forward: connections to `listen` go to `target` through the tunnel. */
export interface ForwardSpec {
  readonly listen: HostPort;
  readonly target: HostPort;
}

/**
 * Listens for a fixed forward (`--forward 127.0.0.1:2222=git.corp.test:22`): each accepted connection
 * becomes one tunnel to the target. Plain TCP has no way to say why a tunnel failed, so a failure resets
 * the connection (the log says why); data the client sent early waits, paused, until the tunnel is up.
 */
export function createForwardListener(ctx: FrontEndContext, gate: ConnectionGate, spec: ForwardSpec): Server {
  const { host, port } = spec.target;
  return net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket: Socket) => {
    socket.on('error', () => undefined);
    const release = gate.tryAcquire();
    if (!release) {
      ctx.log.warn({ frontEnd: 'forward', limit: gate.max }, 'connection refused: too many connections');
      return void socket.resetAndDestroy();
    }
    socket.once('close', release);
    ctx.stats.activeConnections++;
    socket.once('close', () => ctx.stats.activeConnections--);
    void tryOpenTunnel(ctx, 'forward', host, port).then((attempt) => {
      if (!attempt.ok) return void socket.resetAndDestroy();
      if (socket.destroyed) return void attempt.tunnel.stream.close();
      relay(ctx, 'forward', socket, attempt.tunnel, spec.target, release);
    });
  });
}
