import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { parseAuthority } from './authority.js';
import { failureLine, HTTP_FOR_FAILURE } from './failure-replies.js';
import type { FrontEndContext } from './front-end-context.js';
import { forwardRequest } from './http-forward.js';
import { rejectSocket } from './reject-socket.js';
import { relay, tryOpenTunnel } from './relay.js';
import { TunnelAgent } from './tunnel-agent.js';

/** Asks an HTTP client for local proxy credentials (RFC 9110 §11.7.1). */
export const PROXY_AUTHENTICATE = 'Proxy-Authenticate: Basic realm="causeway", charset="UTF-8"';

/** The HTTP side of the proxy listener: CONNECT tunnels and absolute-form requests over one parser. */
export interface HttpFront {
  /** Takes over a connection whose first bytes were already read to tell its protocol. */
  accept(socket: Socket, first: Buffer): void;
  close(): void;
}

/**
 * Builds the HTTP front end on node's HTTP/1.1 parser (no listener of its own: the proxy listener hands
 * it sockets). CONNECT (RFC 9110 §9.3.6) takes only `host:port` and answers 200 only once the agent's
 * dial succeeded; anything the client sent after the CONNECT head (a TLS ClientHello) goes into the
 * tunnel. Absolute-form requests are forwarded over pooled tunnels. Each request head must arrive within
 * the handshake deadline (plus the keep-alive idle time for the later ones on a connection).
 */
export function createHttpFront(ctx: FrontEndContext): HttpFront {
  const agent = new TunnelAgent(ctx);
  const deadlines = new Map<Socket, NodeJS.Timeout>();
  const armDeadline = (socket: Socket, ms: number): void => {
    clearDeadline(socket);
    const timer = setTimeout(() => {
      deadlines.delete(socket);
      ctx.log.info({ frontEnd: 'http', timeoutMs: ms }, 'request head not received in time');
      ctx.stats.handshakeRefused('deadline');
      rejectSocket(socket, 408, 'Request Timeout', 'causeway: the request head did not arrive in time');
    }, ms);
    timer.unref();
    deadlines.set(socket, timer);
  };
  const clearDeadline = (socket: Socket): void => {
    const timer = deadlines.get(socket);
    if (timer) clearTimeout(timer);
    deadlines.delete(socket);
  };

  const server = http.createServer(
    { maxHeaderSize: ctx.limits.headerBytes, keepAliveTimeout: ctx.limits.keepAliveTimeoutMs, requestTimeout: 0 },
    (req: IncomingMessage, res: ServerResponse) => {
      clearDeadline(req.socket);
      res.once('finish', () => {
        if (!req.socket.destroyed) armDeadline(req.socket, ctx.limits.keepAliveTimeoutMs + ctx.limits.handshakeTimeoutMs);
      });
      if (!ctx.auth.checkHeader(req.headers['proxy-authorization'])) {
        ctx.stats.handshakeRefused('auth');
        return void askForCredentials(res);
      }
      forwardRequest(ctx, agent, req, res);
    },
  );
  server.timeout = ctx.limits.idleTimeoutMs;
  // A client may half-close after its request (as TCP allows); it still gets its answer.
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    clearDeadline(socket);
    void handleConnect(ctx, req, socket, head);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    clearDeadline(socket);
    ctx.log.info({ frontEnd: 'http', url: req.url }, 'upgrade refused');
    rejectSocket(socket, 501, 'Not Implemented', 'causeway: protocol upgrades are not forwarded; use CONNECT host:port');
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    clearDeadline(socket);
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    ctx.stats.handshakeRefused('malformed');
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      return rejectSocket(socket, 431, 'Request Header Fields Too Large', `causeway: the request head exceeds ${ctx.limits.headerBytes} bytes`);
    }
    rejectSocket(socket, 400, 'Bad Request', 'causeway: malformed HTTP request');
  });
  return {
    accept(socket: Socket, first: Buffer): void {
      socket.once('close', () => clearDeadline(socket));
      armDeadline(socket, ctx.limits.handshakeTimeoutMs);
      socket.unshift(first);
      server.emit('connection', socket);
      socket.resume();
    },
    close(): void {
      agent.destroy();
      for (const timer of deadlines.values()) clearTimeout(timer);
      deadlines.clear();
    },
  };
}

function askForCredentials(res: ServerResponse): void {
  res.writeHead(407, {
    'content-type': 'text/plain; charset=utf-8',
    'proxy-authenticate': PROXY_AUTHENTICATE.slice('Proxy-Authenticate: '.length),
    connection: 'close',
  });
  res.end('causeway: proxy authentication required\n');
}

async function handleConnect(ctx: FrontEndContext, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
  socket.on('error', () => undefined);
  if (!ctx.auth.checkHeader(req.headers['proxy-authorization'])) {
    ctx.stats.handshakeRefused('auth');
    return rejectSocket(socket, 407, 'Proxy Authentication Required', 'causeway: proxy authentication required', undefined, [PROXY_AUTHENTICATE]);
  }
  const target = parseAuthority(req.url ?? '');
  if (!target) return rejectSocket(socket, 400, 'Bad Request', 'causeway: CONNECT needs a host:port target');
  socket.pause();
  const attempt = await tryOpenTunnel(ctx, 'connect', target.host, target.port);
  if (!attempt.ok) {
    const reply = HTTP_FOR_FAILURE[attempt.failure];
    return rejectSocket(socket, reply.status, reply.text, failureLine(attempt.failure, attempt.reason), reply.retryAfter);
  }
  if (socket.destroyed) return void attempt.tunnel.stream.close();
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  if (head.length > 0) socket.unshift(head);
  relay(ctx, 'connect', socket, attempt.tunnel, target, () => undefined);
}
