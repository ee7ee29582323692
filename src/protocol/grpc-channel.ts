import { isIP, type Socket } from 'node:net';
import tls, { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { bypassesProxy } from '../policy/no-proxy.js';
import { connectThroughProxy, type EgressProxy } from './http-connect.js';
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { decodeGrpcMessage, GrpcError, GrpcStatus, type GrpcStatusCode } from './grpc-status.js';
import { CONNECTION_WINDOW_BYTES, http2Settings, MAX_SESSION_MEMORY_MIB } from './http2-settings.js';
import { startKeepalive } from './keepalive.js';
import { encodeMessage, MessageReader } from './message-framing.js';

export interface ChannelOptions {
  /** host:port of the server. */
  address: string;
  /** Name the server certificate must carry (SNI and verification). */
  serverName: string;
  /** Roots that the server certificate must chain to. */
  ca: string;
  /** Our certificate chain and key, when we have them (omitted for Identity calls before the first certificate). */
  cert?: string;
  key?: string;
  connectTimeoutMs: number;
  /** The corporate HTTP proxy to reach the server through (unless its noProxy covers the server). */
  proxy?: EgressProxy | undefined;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
  maxConcurrentStreams: number;
}

/** Reads the gRPC status from response headers (trailers-only) or trailers. */
export function statusFrom(headers: IncomingHttpHeaders): { status: GrpcStatusCode; message: string } | undefined {
  const raw = headers['grpc-status'];
  if (raw === undefined) return undefined;
  const status = Number(raw);
  const known = Number.isInteger(status) && status >= 0 && status <= 16;
  return {
    status: (known ? status : GrpcStatus.UNKNOWN) as GrpcStatusCode,
    message: decodeGrpcMessage(headers['grpc-message'] as string | undefined),
  };
}

/**
 * One HTTP/2 connection to a server, made with one certificate. A party replaces its channel when its
 * certificate rotates; the old channel finishes its streams and then closes.
 */
export class GrpcChannel {
  private sessionRef: ClientHttp2Session | undefined;
  private readonly ready: Promise<void>;
  private closedError: Error | undefined;
  private destroyed = false;

  constructor(private readonly options: ChannelOptions) {
    const [host, port] = splitAddress(options.address);
    const proxy = options.proxy && !bypassesProxy(options.proxy.noProxy, host, port) ? options.proxy : undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const via = proxy ? ` through proxy ${proxy.display}` : '';
        reject(new GrpcError(GrpcStatus.UNAVAILABLE, `connect to ${options.address}${via} timed out`));
        this.destroy();
      }, options.connectTimeoutMs);
      const connect = (socket?: Socket): void => {
        if (this.destroyed) {
          socket?.destroy();
          clearTimeout(timer);
          reject(unavailable(this.closedError, options.address));
          return;
        }
        const session = this.startSession(host, port, socket);
        session.once('connect', () => {
          clearTimeout(timer);
          session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
          resolve();
        });
        session.once('close', () => {
          clearTimeout(timer);
          reject(unavailable(this.closedError, options.address));
        });
      };
      if (!proxy) {
        connect();
        return;
      }
      // Through the corporate proxy: CONNECT first, then TLS end to end with the server inside it.
      connectThroughProxy(proxy, host, port).then(connect, (err: Error) => {
        clearTimeout(timer);
        this.closedError ??= err;
        reject(unavailable(err, options.address));
      });
    });
    this.ready.catch(() => undefined);
  }

  private startSession(host: string, port: number, socket: Socket | undefined): ClientHttp2Session {
    const options = this.options;
    const tlsOptions = {
      ca: options.ca,
      ...(options.cert ? { cert: options.cert } : {}),
      ...(options.key ? { key: options.key } : {}),
      ...(isIP(options.serverName) ? {} : { servername: options.serverName }),
      checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(options.serverName, cert),
      minVersion: 'TLSv1.3' as const,
    };
    const session = http2.connect(`https://${host.includes(':') ? `[${host}]` : host}:${port}`, {
      ...tlsOptions,
      ...(socket ? { createConnection: () => tls.connect({ ...tlsOptions, socket, ALPNProtocols: ['h2'] }) } : {}),
      settings: http2Settings(options.maxConcurrentStreams),
      maxSessionMemory: MAX_SESSION_MEMORY_MIB,
    });
    this.sessionRef = session;
    session.on('error', (err) => {
      this.closedError ??= err;
    });
    session.once('close', () => {
      this.closedError ??= new GrpcError(GrpcStatus.UNAVAILABLE, 'connection closed');
    });
    startKeepalive(session, {
      intervalMs: options.keepaliveIntervalMs,
      timeoutMs: options.keepaliveTimeoutMs,
      onDead: (reason) => session.destroy(new GrpcError(GrpcStatus.UNAVAILABLE, reason)),
    });
    return session;
  }

  /** The HTTP/2 session, once the connection (through the proxy, if any) is made. */
  private get session(): ClientHttp2Session {
    if (!this.sessionRef) throw unavailable(this.closedError, this.options.address);
    return this.sessionRef;
  }

  /** Resolves once the TLS and HTTP/2 handshakes are done; rejects with UNAVAILABLE otherwise. */
  connected(): Promise<void> {
    return this.ready;
  }

  get isClosed(): boolean {
    if (!this.sessionRef) return this.destroyed || this.closedError !== undefined;
    return this.sessionRef.closed || this.sessionRef.destroyed;
  }

  /** Opens a streaming call. Response headers, messages and trailers are read by the caller. */
  openStream(method: string): ClientHttp2Stream {
    if (this.isClosed) throw unavailable(this.closedError, this.options.address);
    return this.session.request(
      { ':method': 'POST', ':path': method, 'content-type': 'application/grpc', te: 'trailers' },
      { endStream: false },
    );
  }

  /** A unary call: one request message, one response message, status checked. */
  async unary(method: string, request: Uint8Array, timeoutMs: number, maxResponseBytes = 1024 * 1024): Promise<Buffer> {
    await this.ready;
    const stream = this.session.request({
      ':method': 'POST',
      ':path': method,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
    });
    return new Promise<Buffer>((resolve, reject) => {
      const reader = new MessageReader(maxResponseBytes);
      const messages: Buffer[] = [];
      let status: { status: GrpcStatusCode; message: string } | undefined;
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, `${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      stream.on('response', (headers) => {
        status ??= statusFrom(headers);
      });
      stream.on('trailers', (trailers) => {
        status ??= statusFrom(trailers);
      });
      stream.on('data', (chunk: Buffer) => {
        try {
          messages.push(...reader.push(chunk));
        } catch (err) {
          stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
          reject(new GrpcError(GrpcStatus.INTERNAL, (err as Error).message));
        }
      });
      stream.on('error', () => undefined);
      stream.once('close', () => {
        clearTimeout(timer);
        if (!status) reject(new GrpcError(GrpcStatus.UNAVAILABLE, `${method}: stream closed without status`));
        else if (status.status !== GrpcStatus.OK) reject(new GrpcError(status.status, status.message));
        else if (messages.length !== 1) reject(new GrpcError(GrpcStatus.INTERNAL, `${method}: expected one response message`));
        else resolve(messages[0]!);
      });
      stream.end(encodeMessage(request));
    });
  }

  /** Stops new streams; existing ones finish, then the connection closes. */
  close(): void {
    if (!this.sessionRef) this.destroyed = true;
    else if (!this.sessionRef.closed) this.sessionRef.close();
  }

  destroy(): void {
    this.destroyed = true;
    this.sessionRef?.destroy();
  }
}

function unavailable(cause: Error | undefined, address: string): GrpcError {
  if (cause instanceof GrpcError) return cause;
  return new GrpcError(GrpcStatus.UNAVAILABLE, `cannot reach server ${address}${cause ? `: ${cause.message}` : ''}`);
}

export function splitAddress(address: string): [string, number] {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  if (!match) throw new Error(`invalid address "${address}": expected host:port`);
  return [match[1]!, Number(match[2])];
}

