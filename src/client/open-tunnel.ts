import type { ClientHttp2Stream } from 'node:http2';
import http2 from 'node:http2';
import { decodeFrame, DialResult, openFrame } from '../protocol/frames.js';
import { readFirstMessage } from '../protocol/first-message.js';
import { statusFrom } from '../protocol/grpc-channel.js';
import { GrpcStatus, type GrpcStatusCode } from '../protocol/grpc-status.js';
import { MessageReader } from '../protocol/message-framing.js';
import type { ServerLink } from '../identity/server-link.js';

export const CONNECT_METHOD = '/causeway.v1.Tunnel/Connect';
const MAX_FRAME_MESSAGE_BYTES = 1024 * 1024;

/** Why a tunnel could not be opened, in terms every front end can map to its own protocol's error. */
export type TunnelFailure =
  | 'denied'
  | 'no-agent'
  | 'refused'
  | 'unreachable'
  | 'timeout'
  | 'server-unavailable'
  | 'unauthenticated'
  | 'limit'
  | 'error';

export class TunnelOpenError extends Error {
  constructor(
    readonly failure: TunnelFailure,
    message: string,
    /** The stream ended with no answer at all (its connection went away): trying again is safe. */
    readonly streamLost = false,
  ) {
    super(message);
    this.name = 'TunnelOpenError';
  }
}

/**
 * Tries per tunnel when the stream is lost without an answer. That happens when the connection it rode
 * closes at that moment (a certificate rotation retiring the old connection, a server replica going
 * away): the server never answered, so no tunnel exists and a second try on a fresh connection is safe.
 */
const MAX_OPEN_ATTEMPTS = 2;

const FAILURE_FOR_RESULT: Partial<Record<DialResult, TunnelFailure>> = {
  [DialResult.DENIED]: 'denied',
  [DialResult.NO_AGENT]: 'no-agent',
  [DialResult.REFUSED]: 'refused',
  [DialResult.UNREACHABLE]: 'unreachable',
  [DialResult.TIMEOUT]: 'timeout',
  [DialResult.ERROR]: 'limit',
};

const FAILURE_FOR_STATUS: Partial<Record<GrpcStatusCode, TunnelFailure>> = {
  [GrpcStatus.PERMISSION_DENIED]: 'denied',
  [GrpcStatus.UNAUTHENTICATED]: 'unauthenticated',
  [GrpcStatus.UNAVAILABLE]: 'server-unavailable',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'timeout',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'limit',
};

export interface OpenedTunnel {
  stream: ClientHttp2Stream;
  /** Holds anything that arrived after the `opened` frame. */
  reader: MessageReader;
  remoteAddress: string;
}

/**
 * Opens a Connect stream for `host:port` and waits for the server's `opened` answer, which comes only
 * once the agent's dial succeeded (or says why it failed).
 */
export async function openTunnel(link: ServerLink, host: string, port: number, timeoutMs: number): Promise<OpenedTunnel> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await openTunnelOnce(link, host, port, Math.max(1, deadline - Date.now()));
    } catch (err) {
      const again = err instanceof TunnelOpenError && err.streamLost && attempt < MAX_OPEN_ATTEMPTS && Date.now() < deadline;
      if (!again) throw err;
    }
  }
}

async function openTunnelOnce(link: ServerLink, host: string, port: number, timeoutMs: number): Promise<OpenedTunnel> {
  let stream: ClientHttp2Stream;
  try {
    stream = (await link.channel()).openStream(CONNECT_METHOD);
  } catch (err) {
    throw new TunnelOpenError('server-unavailable', `the tunnel server is unreachable: ${(err as Error).message}`);
  }
  let status: { status: GrpcStatusCode; message: string } | undefined;
  stream.on('response', (headers) => {
    status ??= statusFrom(headers);
  });
  stream.on('trailers', (trailers) => {
    status ??= statusFrom(trailers);
  });
  stream.on('error', () => undefined);
  stream.write(openFrame(host, port));
  const reader = new MessageReader(MAX_FRAME_MESSAGE_BYTES);
  let first: Buffer;
  try {
    first = await readFirstMessage(stream, reader, timeoutMs);
  } catch (err) {
    if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
    if (status && status.status !== GrpcStatus.OK) {
      throw new TunnelOpenError(FAILURE_FOR_STATUS[status.status] ?? 'error', status.message || `server answered status ${status.status}`);
    }
    const timedOut = (err as Error).message.includes('no first message');
    if (timedOut) throw new TunnelOpenError('timeout', `no answer within ${timeoutMs} ms`);
    throw new TunnelOpenError('server-unavailable', 'the tunnel server closed the stream', true);
  }
  const frame = decodeFrame(first);
  if (frame.kind.case !== 'opened') {
    stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
    throw new TunnelOpenError('error', 'the server sent an unexpected first frame');
  }
  const opened = frame.kind.value;
  if (opened.result !== DialResult.OK) {
    stream.resume();
    if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
    throw new TunnelOpenError(FAILURE_FOR_RESULT[opened.result] ?? 'error', opened.message || 'the tunnel could not be opened');
  }
  return { stream, reader, remoteAddress: opened.remoteAddress };
}
