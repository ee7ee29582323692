import http2, { type ClientHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { dataFrameHeader, decodeFrame, finFrame, ResetReason } from './frames.js';
import { FrameSplitter } from './frame-splitter.js';
import { statusFrom } from './grpc-channel.js';
import { GrpcStatus } from './grpc-status.js';
import type { MessageReader } from './message-framing.js';

/** How a spliced tunnel ended, from this endpoint's point of view. */
export type EndpointCloseReason =
  | 'done'
  | 'socket-error'
  | 'remote-reset'
  | 'stream-error'
  | 'protocol-error'
  | 'idle-timeout';

export interface EndpointResult {
  reason: EndpointCloseReason;
  /** Bytes read from the local socket and sent into the tunnel. */
  bytesSent: number;
  /** Bytes received from the tunnel and written to the local socket. */
  bytesReceived: number;
  detail?: string;
}

export interface SpliceOptions {
  /** Close the tunnel after this long without a byte in either direction (0 = never). */
  idleTimeoutMs?: number;
  onClose: (result: EndpointResult) => void;
}

/**
 * Joins a local TCP socket to a tunnel stream whose first frames are already exchanged. Bytes move as
 * data frames; a TCP half-close travels as a fin frame and the other direction keeps flowing; each side
 * pauses the other when its writes back up, so a slow reader slows its sender instead of growing a buffer.
 *
 * The socket must have been created with `allowHalfOpen: true`.
 */
export function spliceSocket(socket: Socket, stream: ClientHttp2Stream, reader: MessageReader, options: SpliceOptions): void {
  let bytesSent = 0;
  let bytesReceived = 0;
  let localFin = false;
  let remoteFin = false;
  let finished = false;
  let grpcOk = false;
  let lastActivity = Date.now();

  socket.setNoDelay(true);

  const finish = (reason: EndpointCloseReason, detail?: string): void => {
    if (finished) return;
    finished = true;
    if (idleTimer) clearInterval(idleTimer);
    if (reason !== 'done') {
      if (!socket.destroyed) socket.resetAndDestroy();
      if (!stream.closed && !stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
    }
    options.onClose({ reason, bytesSent, bytesReceived, ...(detail ? { detail } : {}) });
  };

  socket.on('data', (chunk: Buffer) => {
    bytesSent += chunk.length;
    lastActivity = Date.now();
    stream.cork();
    stream.write(dataFrameHeader(chunk.length));
    const ok = stream.write(chunk);
    stream.uncork();
    if (!ok) socket.pause();
  });
  stream.on('drain', () => socket.resume());
  const onLocalEnd = (): void => {
    if (localFin) return;
    localFin = true;
    if (!stream.closed && !stream.destroyed) stream.end(finFrame);
  };
  socket.on('end', onLocalEnd);
  socket.on('error', (err) => finish('socket-error', err.message));
  socket.on('close', () => {
    if (!localFin || !remoteFin) finish('socket-error', 'local connection closed');
    else if (grpcOk || stream.closed) finish('done');
  });
  socket.on('drain', () => stream.resume());

  const onData = (payload: Buffer): void => {
    if (finished) return;
    if (remoteFin) return finish('protocol-error', 'data after fin');
    bytesReceived += payload.length;
    lastActivity = Date.now();
    if (!socket.write(payload)) stream.pause();
  };
  const onControl = (message: Buffer): void => {
    if (finished) return;
    const frame = decodeFrame(message);
    switch (frame.kind.case) {
      case 'data':
        return onData(Buffer.from(frame.kind.value.buffer, frame.kind.value.byteOffset, frame.kind.value.byteLength));
      case 'fin':
        remoteFin = true;
        socket.end();
        return;
      case 'reset':
        return finish('remote-reset', `${ResetReason[frame.kind.value.reason] ?? 'reset'} ${frame.kind.value.message}`.trim());
      default:
        return finish('protocol-error', `unexpected ${frame.kind.case ?? 'empty'} frame`);
    }
  };
  // Data payloads go to the socket as views of what HTTP/2 delivered: no per-message reassembly.
  const splitter = new FrameSplitter(reader.maxMessageBytes, onData, onControl);

  const feed = (chunk: Buffer): void => {
    if (finished) return;
    try {
      splitter.push(chunk);
    } catch (err) {
      finish('protocol-error', (err as Error).message);
    }
  };

  const leftover = reader.drainRaw();
  if (leftover.length > 0) feed(leftover);
  stream.on('data', feed);
  stream.on('trailers', (trailers) => {
    const status = statusFrom(trailers);
    if (status?.status === GrpcStatus.OK) grpcOk = true;
    else finish('stream-error', status ? `${status.status} ${status.message}` : 'no status');
  });
  stream.on('error', (err) => finish('stream-error', err.message));
  stream.on('close', () => {
    if (finished) return;
    if (grpcOk && localFin && remoteFin) {
      if (socket.destroyed || socket.closed) finish('done');
      return;
    }
    finish('stream-error', `tunnel stream closed (code ${stream.rstCode ?? 'none'})`);
  });

  // Either side may have been paused explicitly while the tunnel was being set up, and the caller may
  // have half-closed before it was up (its end-of-input already consumed by whoever read the request).
  stream.resume();
  socket.resume();
  if (socket.readableEnded) onLocalEnd();

  let idleTimer: NodeJS.Timeout | undefined;
  const idleMs = options.idleTimeoutMs ?? 0;
  if (idleMs > 0) {
    idleTimer = setInterval(() => {
      if (Date.now() - lastActivity > idleMs) finish('idle-timeout');
    }, Math.min(idleMs, 5000));
    idleTimer.unref();
  }
}
