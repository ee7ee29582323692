import http2 from 'node:http2';
import { Duplex } from 'node:stream';
import { dataFrameHeader, decodeFrame, finFrame, ResetReason } from '../protocol/frames.js';
import { statusFrom } from '../protocol/grpc-channel.js';
import { GrpcStatus } from '../protocol/grpc-status.js';
import type { OpenedTunnel } from './open-tunnel.js';

/** Thrown through the duplex when the tunnel ends other than by a clean fin in both directions. */
export class TunnelStreamError extends Error {
  readonly code = 'ERR_TUNNEL_STREAM';
  constructor(message: string) {
    super(message);
    this.name = 'TunnelStreamError';
  }
}

/**
 * An opened tunnel as a byte `Duplex`, for front ends that do not own a TCP socket (the HTTP forward
 * proxy's upstream connections, stdio mode). `end()` sends a fin (half-close) and the readable side
 * ends on the peer's fin. Backpressure: a write completes only when the HTTP/2 stream took it, and the
 * stream is paused while the readable buffer is full. It also answers the few socket methods that
 * `http.Agent` calls, so it can stand in for a socket there.
 */
export class TunnelDuplex extends Duplex {
  private remoteFin = false;
  private grpcOk = false;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  bytesWritten = 0;
  bytesRead = 0;

  /**
   * `allowHalfOpen: false` ends the writable side when the peer's fin arrives, as a plain `net.Socket`
   * does, which is what `http.Agent` expects of its pooled connections; stdio keeps it half-open.
   */
  constructor(
    private readonly tunnel: OpenedTunnel,
    options: { allowHalfOpen: boolean },
  ) {
    super({ allowHalfOpen: options.allowHalfOpen });
    const { stream, reader } = tunnel;
    const feed = (chunk: Buffer): void => {
      let messages: Buffer[];
      try {
        messages = reader.push(chunk);
      } catch (err) {
        this.destroy(new TunnelStreamError((err as Error).message));
        return;
      }
      for (const message of messages) this.onMessage(message);
    };
    const leftover = reader.drainRaw();
    stream.on('data', feed);
    stream.on('trailers', (trailers) => {
      const status = statusFrom(trailers);
      if (status?.status === GrpcStatus.OK) this.grpcOk = true;
      else this.destroy(new TunnelStreamError(status ? `tunnel ended: ${status.message || `status ${status.status}`}` : 'tunnel ended without status'));
    });
    stream.on('error', (err) => this.destroy(new TunnelStreamError(err.message)));
    stream.on('close', () => {
      if (this.destroyed) return;
      if (this.remoteFin && (this.grpcOk || this.writableFinished)) return;
      this.destroy(new TunnelStreamError(`tunnel stream closed (code ${stream.rstCode ?? 'none'})`));
    });
    stream.on('drain', () => this.touch());
    if (leftover.length > 0) feed(leftover);
    stream.resume();
  }

  get remoteAddress(): string {
    return this.tunnel.remoteAddress;
  }

  private onMessage(message: Buffer): void {
    if (this.destroyed) return;
    let frame;
    try {
      frame = decodeFrame(message);
    } catch (err) {
      this.destroy(new TunnelStreamError((err as Error).message));
      return;
    }
    switch (frame.kind.case) {
      case 'data':
        if (this.remoteFin) return void this.destroy(new TunnelStreamError('data after fin'));
        this.bytesRead += frame.kind.value.length;
        this.touch();
        if (!this.push(Buffer.from(frame.kind.value))) this.tunnel.stream.pause();
        return;
      case 'fin':
        this.remoteFin = true;
        this.push(null);
        return;
      case 'reset':
        return void this.destroy(new TunnelStreamError(`reset by peer: ${ResetReason[frame.kind.value.reason] ?? 'reset'} ${frame.kind.value.message}`.trim()));
      default:
        return void this.destroy(new TunnelStreamError(`unexpected ${frame.kind.case ?? 'empty'} frame`));
    }
  }

  override _read(): void {
    this.tunnel.stream.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const { stream } = this.tunnel;
    if (stream.destroyed || stream.closed) return callback(new TunnelStreamError('tunnel stream is closed'));
    this.bytesWritten += chunk.length;
    this.touch();
    stream.cork();
    stream.write(dataFrameHeader(chunk.length));
    stream.write(chunk, (err) => callback(err ?? null));
    stream.uncork();
  }

  override _final(callback: (error?: Error | null) => void): void {
    const { stream } = this.tunnel;
    if (stream.destroyed || stream.closed) return callback(new TunnelStreamError('tunnel stream is closed'));
    stream.end(finFrame, () => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const { stream } = this.tunnel;
    if (!stream.closed && !stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
    callback(error);
  }

  /** Emits `timeout` after `ms` without traffic, as `net.Socket#setTimeout` does (0 turns it off). */
  setTimeout(ms: number, onTimeout?: () => void): this {
    this.idleMs = ms;
    if (onTimeout) this.once('timeout', onTimeout);
    this.touch();
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.idleMs > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => this.emit('timeout'), this.idleMs);
      this.idleTimer.unref();
    }
  }
}
