import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { FrontEndContext } from './front-end-context.js';
import { TunnelOpenError } from './open-tunnel.js';
import { trackTunnel, tryOpenTunnel } from './relay.js';
import { TunnelDuplex } from './tunnel-duplex.js';

/** Upstream connections kept per destination for the HTTP forward proxy. */
const MAX_SOCKETS_PER_HOST = 32;
const MAX_FREE_SOCKETS_PER_HOST = 8;

/**
 * An `http.Agent` whose connections are tunnels: the forward proxy's upstream requests reuse an idle
 * tunnel to the same `host:port` (keep-alive) and open a new one through the server otherwise. A tunnel
 * that cannot be opened fails the request with the {@link TunnelOpenError}, so the caller can answer
 * 403/502/503/504 as for CONNECT.
 */
export class TunnelAgent extends http.Agent {
  constructor(private readonly ctx: FrontEndContext) {
    super({
      keepAlive: true,
      maxSockets: MAX_SOCKETS_PER_HOST,
      maxFreeSockets: MAX_FREE_SOCKETS_PER_HOST,
      timeout: ctx.limits.keepAliveTimeoutMs,
      scheduling: 'lifo',
    });
  }

  // Node's Agent waits for the callback when createConnection returns nothing.
  override createConnection(options: http.ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): undefined {
    const host = options.host ?? '';
    const port = Number(options.port);
    void tryOpenTunnel(this.ctx, 'http', host, port).then((attempt) => {
      if (!attempt.ok) return callback?.(new TunnelOpenError(attempt.failure, attempt.reason), undefined as unknown as Duplex);
      const duplex = new TunnelDuplex(attempt.tunnel, { allowHalfOpen: false });
      trackTunnel(this.ctx, 'http', duplex);
      duplex.on('error', (err) => this.ctx.log.debug({ frontEnd: 'http', host, port, err: err.message }, 'upstream tunnel error'));
      callback?.(null, duplex);
    });
    return undefined;
  }
}
