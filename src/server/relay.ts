import http2 from 'node:http2';
import { ResetReason, resetFrame } from '../protocol/frames.js';
import type { ServerCall } from '../protocol/grpc-server.js';
import { GrpcStatus, type GrpcStatusCode } from '../protocol/grpc-status.js';
import type { MessageReader } from '../protocol/message-framing.js';

export interface RelayLeg {
  call: ServerCall;
  /** Holds whatever arrived after the leg's first message. */
  reader: MessageReader;
}

export interface RelayResult {
  /** Bytes of framed messages moved client → agent and agent → client. */
  bytesUp: number;
  bytesDown: number;
  reason: 'done' | 'client-aborted' | 'agent-aborted' | 'closed-by-server';
  detail?: string;
}

export interface Relay {
  /** Ends the tunnel from the server side, telling both ends why with a reset frame. */
  abort(reason: ResetReason, message: string, status: GrpcStatusCode): void;
  /** Bytes moved so far (for the dashboard and throughput while the tunnel is open). */
  bytes(): { up: number; down: number };
}

/**
 * Moves bytes between a client's Connect stream and an agent's Accept stream without decoding them:
 * after the first frames both legs carry the same length-prefixed frames. `pipe` gives each direction
 * HTTP/2 backpressure; fin frames pass through in-band, and the call ends (status OK on both legs) once
 * both ends have closed their sending side.
 */
export function relay(client: RelayLeg, agent: RelayLeg, onClose: (result: RelayResult) => void): Relay {
  const up = client.call.stream;
  const down = agent.call.stream;
  let bytesUp = 0;
  let bytesDown = 0;
  let upEnded = false;
  let downEnded = false;
  let closed = false;

  const done = (reason: RelayResult['reason'], detail?: string): void => {
    if (closed) return;
    closed = true;
    onClose({ reason, bytesUp, bytesDown, ...(detail ? { detail } : {}) });
  };

  agent.call.sendHeaders();
  client.call.sendHeaders();
  const upLeftover = client.reader.drainRaw();
  const downLeftover = agent.reader.drainRaw();
  if (upLeftover.length > 0) {
    bytesUp += upLeftover.length;
    down.write(upLeftover);
  }
  if (downLeftover.length > 0) {
    bytesDown += downLeftover.length;
    up.write(downLeftover);
  }

  up.on('data', (chunk: Buffer) => {
    bytesUp += chunk.length;
  });
  down.on('data', (chunk: Buffer) => {
    bytesDown += chunk.length;
  });
  up.pipe(down, { end: false });
  down.pipe(up, { end: false });

  const maybeFinish = (): void => {
    if (!upEnded || !downEnded) return;
    client.call.finish(GrpcStatus.OK);
    agent.call.finish(GrpcStatus.OK);
    done('done');
  };
  up.once('end', () => {
    upEnded = true;
    maybeFinish();
  });
  down.once('end', () => {
    downEnded = true;
    maybeFinish();
  });

  const cancel = (stream: typeof up): void => {
    if (!stream.destroyed && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
  };
  up.once('close', () => {
    if (closed) return;
    cancel(down);
    done('client-aborted', `client stream closed (code ${up.rstCode ?? 'none'})`);
  });
  down.once('close', () => {
    if (closed) return;
    cancel(up);
    done('agent-aborted', `agent stream closed (code ${down.rstCode ?? 'none'})`);
  });

  return {
    bytes: () => ({ up: bytesUp, down: bytesDown }),
    abort(reason, message, status) {
      if (closed) return;
      up.unpipe(down);
      down.unpipe(up);
      const frame = resetFrame(reason, message);
      if (!up.destroyed) up.write(frame);
      if (!down.destroyed) down.write(frame);
      client.call.finish(status, message);
      agent.call.finish(status, message);
      done('closed-by-server', message);
    },
  };
}

export { ResetReason };
