import net, { type Server, type Socket } from 'node:net';
import type { ConnectionGate } from './connection-gate.js';
import type { FrontEndContext } from './front-end-context.js';
import type { HttpFront } from './http-front.js';
import { sniffProtocol } from './sniff.js';
import { runSocks5 } from './socks5-session.js';
import { SOCKS4_REJECTED, SOCKS4_REPLY_VERSION, SOCKS_VERSION, SocksMethod } from './socks5-constants.js';
import { rejectSocket } from './reject-socket.js';

/** Over the cap, a few more connections are held just long enough to be told so in their own protocol. */
const MAX_REFUSING = 64;
const REFUSE_WAIT_MS = 2000;

/**
 * The proxy's one listener: every connection is classified by its first byte and handed to the HTTP
 * front end (CONNECT and absolute-form requests) or the SOCKS5 negotiation. A connection that sends
 * nothing recognisable before the handshake deadline is closed; one over the connection cap is told so.
 */
export function createProxyListener(ctx: FrontEndContext, gate: ConnectionGate, http: HttpFront): Server {
  let refusing = 0;
  // No Nagle: handshake replies are tiny and each waits on the client's next step.
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket: Socket) => {
    socket.on('error', () => undefined);
    const release = gate.tryAcquire();
    if (!release) {
      if (refusing >= MAX_REFUSING) return void socket.destroy();
      refusing++;
      socket.once('close', () => refusing--);
      ctx.stats.handshakeRefused('over-cap');
      refuseOverCap(socket, gate.max);
      ctx.log.warn({ limit: gate.max }, 'connection refused: too many connections');
      return;
    }
    socket.once('close', release);
    ctx.stats.activeConnections++;
    socket.once('close', () => ctx.stats.activeConnections--);
    const deadline = setTimeout(() => {
      ctx.stats.handshakeRefused('deadline');
      ctx.log.info({ remote: socket.remoteAddress, timeoutMs: ctx.limits.handshakeTimeoutMs }, 'handshake deadline passed');
      socket.destroy();
    }, ctx.limits.handshakeTimeoutMs);
    deadline.unref();
    const stopDeadline = (): void => clearTimeout(deadline);
    socket.once('close', stopDeadline);
    const onEarlyEnd = (): void => {
      socket.destroy();
    };
    socket.once('end', onEarlyEnd);
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.off('end', onEarlyEnd);
      switch (sniffProtocol(first[0]!)) {
        case 'http':
          stopDeadline();
          http.accept(socket, first);
          return;
        case 'socks5':
          socket.once('end', onEarlyEnd);
          runSocks5(ctx, socket, first, () => {
            stopDeadline();
            socket.off('end', onEarlyEnd);
          }, release);
          return;
        case 'socks4':
          ctx.stats.handshakeRefused('not-a-proxy-protocol');
          socket.end(Buffer.from([SOCKS4_REPLY_VERSION, SOCKS4_REJECTED, 0, 0, 0, 0, 0, 0]));
          socket.destroySoon();
          return;
        case 'tls':
        case 'unknown':
          ctx.stats.handshakeRefused('not-a-proxy-protocol');
          ctx.log.info({ remote: socket.remoteAddress, firstByte: first[0] }, 'connection closed: not HTTP or SOCKS5 (is the proxy URL http:// or socks5h://?)');
          socket.destroy();
          return;
      }
    });
  });
  return server;
}

function refuseOverCap(socket: Socket, max: number): void {
  const timer = setTimeout(() => socket.destroy(), REFUSE_WAIT_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('data', (first: Buffer) => {
    socket.pause();
    const protocol = sniffProtocol(first[0]!);
    if (protocol === 'http') {
      rejectSocket(socket, 503, 'Service Unavailable', `causeway: limit: more than ${max} connections to this proxy`, 1);
    } else if (protocol === 'socks5') {
      socket.end(Buffer.from([SOCKS_VERSION, SocksMethod.NO_ACCEPTABLE]));
      socket.destroySoon();
    } else socket.destroy();
  });
}
