import http, { type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import { publishClientTunnel } from '../metrics/client-tunnels.js';
import { spliceSocket } from '../protocol/tunnel-endpoint.js';
import type { ServerLink } from '../identity/server-link.js';
import { openTunnel, TunnelOpenError, type TunnelFailure } from './open-tunnel.js';
import { parseAuthority } from './authority.js';

/** The HTTP status each failure becomes, and whether a retry later can help. */
const HTTP_FOR_FAILURE: Record<TunnelFailure, { status: number; text: string; retryAfter?: number }> = {
  denied: { status: 403, text: 'Forbidden' },
  unauthenticated: { status: 403, text: 'Forbidden' },
  'no-agent': { status: 503, text: 'Service Unavailable', retryAfter: 5 },
  'server-unavailable': { status: 503, text: 'Service Unavailable', retryAfter: 5 },
  limit: { status: 503, text: 'Service Unavailable', retryAfter: 1 },
  refused: { status: 502, text: 'Bad Gateway' },
  unreachable: { status: 502, text: 'Bad Gateway' },
  timeout: { status: 504, text: 'Gateway Timeout' },
  error: { status: 502, text: 'Bad Gateway' },
};

export interface ConnectProxyOptions {
  link: ServerLink;
  log: Logger;
  dialTimeoutMs: number;
  maxConnections: number;
  headerBytes: number;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
}

/** Writes a complete HTTP/1.1 error response on a raw socket and closes it. */
export function rejectSocket(socket: Socket, status: number, text: string, body: string, retryAfter?: number): void {
  if (socket.destroyed) return;
  const line = `${body}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(line)}\r\n` +
      (retryAfter ? `Retry-After: ${retryAfter}\r\n` : '') +
      'Connection: close\r\n\r\n' +
      line,
  );
  socket.destroySoon();
}

/**
 * The client's HTTP CONNECT front end: each CONNECT becomes one tunnel stream; the 200 is sent only
 * once the agent's dial succeeded, so the caller's TLS handshake goes straight to the private host.
 */
export function createConnectProxy(options: ConnectProxyOptions): Server {
  const server = http.createServer({ maxHeaderSize: options.headerBytes, requestTimeout: options.handshakeTimeoutMs }, (_req, res) => {
    res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: 'CONNECT', connection: 'close' });
    res.end('causeway: this proxy accepts CONNECT host:port requests only\n');
  });
  server.maxConnections = options.maxConnections;
  server.headersTimeout = options.handshakeTimeoutMs;
  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    void handleConnect(options, req, socket, head);
  });
  server.on('clientError', (_err, socket: Socket) => {
    rejectSocket(socket, 400, 'Bad Request', 'causeway: malformed request');
  });
  return server;
}

async function handleConnect(options: ConnectProxyOptions, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
  socket.on('error', () => undefined);
  const target = parseAuthority(req.url ?? '');
  if (!target) {
    rejectSocket(socket, 400, 'Bad Request', 'causeway: CONNECT needs a host:port target');
    return;
  }
  const { host, port } = target;
  const started = Date.now();
  let opened;
  try {
    opened = await openTunnel(options.link, host, port, options.dialTimeoutMs + 5000);
  } catch (err) {
    const failure = err instanceof TunnelOpenError ? err.failure : 'error';
    const http = HTTP_FOR_FAILURE[failure];
    options.log.info({ host, port, failure, reason: (err as Error).message }, 'tunnel refused');
    publishClientTunnel({ event: 'refused', failure, setupMs: Date.now() - started });
    rejectSocket(socket, http.status, http.text, `causeway: ${failure}: ${(err as Error).message}`, http.retryAfter);
    return;
  }
  if (socket.destroyed) {
    opened.stream.close();
    return;
  }
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  publishClientTunnel({ event: 'opened', setupMs: Date.now() - started });
  if (head.length > 0) socket.unshift(head);
  options.log.debug({ host, port, remote: opened.remoteAddress, setupMs: Date.now() - started }, 'tunnel opened');
  spliceSocket(socket, opened.stream, opened.reader, {
    idleTimeoutMs: options.idleTimeoutMs,
    onClose: (result) => {
      publishClientTunnel({ event: 'closed' });
      options.log.debug({ host, port, ...result, durationMs: Date.now() - started }, 'tunnel closed');
    },
  });
}
