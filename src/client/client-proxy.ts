import type { AddressInfo, Server } from 'node:net';
import { ConnectionGate } from './connection-gate.js';
import { createForwardListener, type ForwardSpec } from './forward.js';
import type { FrontEndContext } from './front-end-context.js';
import { createHttpFront } from './http-front.js';
import { createProxyListener } from './proxy-listener.js';

/** The client's listeners, once they are all bound. */
export interface RunningClientProxy {
  readonly port: number;
  /** The bound port of each forward, in the order given. */
  readonly forwardPorts: readonly number[];
  close(): void;
}

/**
 * Starts the proxy listener (HTTP CONNECT, HTTP proxy and SOCKS5 on one port) and every fixed forward,
 * sharing one connection cap. Rejects if any address cannot be bound, closing what was bound.
 */
export async function startClientProxy(ctx: FrontEndContext, listen: { host: string; port: number }, forwards: readonly ForwardSpec[]): Promise<RunningClientProxy> {
  const gate = new ConnectionGate(ctx.limits.maxConnections);
  const http = createHttpFront(ctx);
  const servers: Server[] = [];
  const closeAll = (): void => {
    for (const server of servers) server.close();
    http.close();
  };
  try {
    const proxy = createProxyListener(ctx, gate, http);
    servers.push(proxy);
    await bind(proxy, listen);
    const forwardPorts: number[] = [];
    for (const spec of forwards) {
      const server = createForwardListener(ctx, gate, spec);
      servers.push(server);
      forwardPorts.push(await bind(server, spec.listen));
    }
    return { port: (proxy.address() as AddressInfo).port, forwardPorts, close: closeAll };
  } catch (err) {
    closeAll();
    throw err;
  }
}

function bind(server: Server, address: { host: string; port: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
