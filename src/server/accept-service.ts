import type { IssuedCertificate } from '../registry/identity-store.js';
import type { CallHandler, ServerCall } from '../protocol/grpc-server.js';
import { decodeFrame } from '../protocol/frames.js';
import { readFirstMessage } from '../protocol/first-message.js';
import { GrpcError, GrpcStatus } from '../protocol/grpc-status.js';
import { MessageReader } from '../protocol/message-framing.js';
import type { ServerContext } from './context.js';
import { authenticatePeer, peerAddress } from './peer.js';
import { admitPeer } from './peer-access.js';

const MAX_FRAME_MESSAGE_BYTES = 1024 * 1024;

/** Which key bought the certificate of each admitted Accept call; the Connect side reads it. */
export const acceptIssuance = new WeakMap<ServerCall, IssuedCertificate>();

/** Tunnel.Accept: an agent answers one dial request; its first frame is `opened` naming the dial. */
export function acceptHandler(ctx: ServerContext): CallHandler {
  return async (call) => {
    let identity: string;
    try {
      const peer = authenticatePeer(call, ctx.trustDomain, 'agent');
      identity = peer.identity;
      const issuance = await admitPeer(ctx, call, peer, 'accept');
      if (!issuance) return;
      acceptIssuance.set(call, issuance);
    } catch (err) {
      const e = err as GrpcError;
      ctx.audit.record({ type: 'deny', layer: 'authn', identity: 'unknown', reason: e.message, source: peerAddress(call) });
      call.finish(e.status, e.message);
      return;
    }
    const reader = new MessageReader(MAX_FRAME_MESSAGE_BYTES);
    try {
      const frame = decodeFrame(await readFirstMessage(call.stream, reader, ctx.limits.handshakeTimeoutMs));
      if (frame.kind.case !== 'opened' || !frame.kind.value.dialId) {
        throw new GrpcError(GrpcStatus.INVALID_ARGUMENT, 'the first frame of Accept must be opened with a dial id');
      }
      if (!ctx.pending.answer(frame.kind.value.dialId, identity, { opened: frame.kind.value, call, reader })) {
        throw new GrpcError(GrpcStatus.NOT_FOUND, 'no such dial is waiting');
      }
    } catch (err) {
      const e = err instanceof GrpcError ? err : new GrpcError(GrpcStatus.INVALID_ARGUMENT, 'malformed frame');
      call.finish(e.status, e.message);
    }
  };
}
