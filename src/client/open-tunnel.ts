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
  ) {
    super(message);
    this.name = 'TunnelOpenError';
  }
}

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
    throw new TunnelOpenError(timedOut ? 'timeout' : 'server-unavailable', timedOut ? `no answer within ${timeoutMs} ms` : 'the tunnel server closed the stream');
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
