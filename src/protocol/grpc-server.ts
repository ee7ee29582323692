import http2, { type Http2SecureServer, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { encodeGrpcMessage, GrpcStatus, type GrpcStatusCode } from './grpc-status.js';
import { http2Settings, MAX_SESSION_MEMORY_MIB, CONNECTION_WINDOW_BYTES } from './http2-settings.js';
import { startKeepalive } from './keepalive.js';
import { encodeMessage, MessageReader } from './message-framing.js';

const GRPC_CONTENT_TYPE = /^application\/grpc(\+proto)?(;.*)?$/;

/** One incoming gRPC call: the raw HTTP/2 stream plus helpers that speak gRPC's response rules. */
export class ServerCall {
  private headersSent = false;
  private finished = false;

  constructor(
    readonly stream: ServerHttp2Stream,
    readonly method: string,
    readonly headers: IncomingHttpHeaders,
  ) {
    stream.on('wantTrailers', () => {
      stream.sendTrailers({ 'grpc-status': String(this.trailerStatus), 'grpc-message': this.trailerMessage });
      this.closeIfPeerStillOpen();
    });
  }

  private trailerStatus: GrpcStatusCode = GrpcStatus.OK;
  private trailerMessage = '';

  /** The TLS socket beneath the call (for the peer certificate and address). */
  get socket(): TLSSocket {
    return this.stream.session!.socket as TLSSocket;
  }

  get isFinished(): boolean {
    return this.finished || this.stream.destroyed;
  }

  /** Sends response headers; messages may follow. */
  sendHeaders(): void {
    if (this.headersSent || this.stream.destroyed) return;
    this.headersSent = true;
    this.stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  }

  /** Writes one message payload (length prefix added). Returns false when the caller should wait for drain. */
  writeMessage(payload: Uint8Array): boolean {
    this.sendHeaders();
    return this.stream.write(encodeMessage(payload));
  }

  /**
   * Ends the call with a status. Before headers this is a trailers-only response; after, trailers follow
   * the messages already written. The stream is then closed in both directions.
   */
  finish(status: GrpcStatusCode, message = ''): void {
    if (this.finished || this.stream.destroyed) return;
    this.finished = true;
    const safeMessage = encodeGrpcMessage(message);
    if (!this.headersSent) {
      this.headersSent = true;
      this.stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(status), 'grpc-message': safeMessage },
        { endStream: true },
      );
      this.closeIfPeerStillOpen();
    } else {
      this.trailerStatus = status;
      this.trailerMessage = safeMessage;
      this.stream.end();
    }
  }

  /** The call is over once its status is sent: do not wait for a peer that keeps its half open. */
  private closeIfPeerStillOpen(): void {
    if (this.stream.readableEnded) return;
    setImmediate(() => {
      if (!this.stream.destroyed && !this.stream.closed) this.stream.close(http2.constants.NGHTTP2_NO_ERROR);
    });
  }

  /** Reads exactly one request message (for unary calls), bounded by `maxBytes`. */
  readUnary(maxBytes: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const reader = new MessageReader(maxBytes);
      const messages: Buffer[] = [];
      this.stream.on('data', (chunk: Buffer) => {
        try {
          messages.push(...reader.push(chunk));
        } catch (err) {
          reject(err);
          this.stream.destroy();
        }
      });
      this.stream.once('end', () => {
        if (messages.length !== 1 || reader.pendingBytes !== 0) reject(new Error('expected exactly one request message'));
        else resolve(messages[0]!);
      });
      this.stream.once('error', reject);
      this.stream.once('close', () => reject(new Error('stream closed before the request was complete')));
    });
  }
}

export type CallHandler = (call: ServerCall) => void | Promise<void>;

/**
 * A connection without a valid client certificate may only obtain one: it gets a few streams at a time
 * and must finish within a short idle timeout, so an anonymous peer cannot pin memory or sockets.
 */
export const UNAUTHENTICATED_MAX_STREAMS = 4;
export const UNAUTHENTICATED_IDLE_MS = 15_000;
/** TLS handshakes must complete within this. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
const openStreams = new WeakMap<object, number>();

export interface GrpcServerOptions {
  key: string;
  cert: string;
  /** Roots that client certificates must chain to. */
  ca: string;
  maxConcurrentStreams: number;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
  onError: (err: unknown, context: string) => void;
}

/**
 * An HTTP/2 server that speaks the slice of gRPC Causeway uses. Client certificates are requested but
 * not required at the TLS layer, because Identity.IssueCertificate must accept callers that have none yet;
 * each handler decides whether the call needs an authenticated peer.
 */
export function createGrpcServer(options: GrpcServerOptions, routes: ReadonlyMap<string, CallHandler>): Http2SecureServer {
  const server = http2.createSecureServer({
    key: options.key,
    cert: options.cert,
    ca: options.ca,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.3',
    allowHTTP1: false,
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
    settings: http2Settings(options.maxConcurrentStreams),
    maxSessionMemory: MAX_SESSION_MEMORY_MIB,
  });
  server.on('session', (session) => {
    session.on('error', (err) => options.onError(err, 'session'));
    session.once('connect', () => session.setLocalWindowSize(CONNECTION_WINDOW_BYTES));
    if (!session.connecting) session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
    if (!(session.socket as TLSSocket | undefined)?.authorized) {
      session.setTimeout(UNAUTHENTICATED_IDLE_MS, () => session.destroy());
    }
    startKeepalive(session, {
      intervalMs: options.keepaliveIntervalMs,
      timeoutMs: options.keepaliveTimeoutMs,
      onDead: () => session.destroy(),
    });
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', (err) => options.onError(err, 'stream'));
    // A peer can reset a stream (or drop the connection) before this event runs.
    if (stream.destroyed || !stream.session) return;
    const method = String(headers[':path'] ?? '');
    const call = new ServerCall(stream, method, headers);
    if (headers[':method'] !== 'POST' || !GRPC_CONTENT_TYPE.test(String(headers['content-type'] ?? ''))) {
      if (!stream.destroyed) stream.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    const session = stream.session!;
    if (!(session.socket as TLSSocket).authorized) {
      const open = (openStreams.get(session) ?? 0) + 1;
      if (open > UNAUTHENTICATED_MAX_STREAMS) {
        call.finish(GrpcStatus.RESOURCE_EXHAUSTED, 'too many concurrent calls without a client certificate');
        return;
      }
      openStreams.set(session, open);
      stream.once('close', () => openStreams.set(session, (openStreams.get(session) ?? 1) - 1));
    }
    const handler = routes.get(method);
    if (!handler) {
      call.finish(GrpcStatus.UNIMPLEMENTED, `unknown method ${method.slice(0, 200)}`);
      return;
    }
    Promise.resolve()
      .then(() => handler(call))
      .catch((err: unknown) => {
        options.onError(err, method);
        call.finish(GrpcStatus.INTERNAL, 'internal error');
      });
  });
  server.on('sessionError', (err) => options.onError(err, 'session'));
  server.on('tlsClientError', () => {
    /* Failed handshakes are the peer's problem; nothing to log at info level. */
  });
  return server;
}
