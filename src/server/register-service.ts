import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { PeerIdentity } from '../auth/peer-identity.js';
import {
  AgentMessageSchema,
  PongSchema,
  ServerMessageSchema,
  WelcomeSchema,
  type ServerMessage,
} from '../protocol/gen/causeway/v1/tunnel_pb.js';
import { readFirstMessage } from '../protocol/first-message.js';
import type { CallHandler } from '../protocol/grpc-server.js';
import { GrpcError, GrpcStatus } from '../protocol/grpc-status.js';
import { MessageReader } from '../protocol/message-framing.js';
import type { AgentConnection } from './agent-registry.js';
import type { ServerContext } from './context.js';
import { countDeny } from '../metrics/deny-counter.js';
import { authenticatePeer, peerAddress } from './peer.js';
import { admitPeer } from './peer-access.js';

const MAX_CONTROL_MESSAGE_BYTES = 256 * 1024;

export function encodeServerMessage(message: ServerMessage['msg']): Uint8Array {
  return toBinary(ServerMessageSchema, create(ServerMessageSchema, { msg: message }));
}

/** Tunnel.Register: an agent's control stream. Hello first; then pings; dial requests flow down. */
export function registerHandler(ctx: ServerContext, replicaId: string, replicaCount: number): CallHandler {
  return async (call) => {
    const source = peerAddress(call);
    let identity = 'unknown';
    let peer: PeerIdentity;
    try {
      peer = authenticatePeer(call, ctx.trustDomain, 'agent');
      identity = peer.identity;
    } catch (err) {
      const e = err as GrpcError;
      countDeny('authn');
      ctx.audit.record({ type: 'deny', layer: 'authn', rule: 'authn:certificate', identity, reason: e.message, source });
      call.finish(e.status ?? GrpcStatus.UNAUTHENTICATED, e.message);
      return;
    }
    const issuance = await admitPeer(ctx, call, peer, 'register');
    if (!issuance) return;
    const reader = new MessageReader(MAX_CONTROL_MESSAGE_BYTES);
    let hello;
    try {
      const first = fromBinary(AgentMessageSchema, await readFirstMessage(call.stream, reader, ctx.limits.handshakeTimeoutMs));
      if (first.msg.case !== 'hello' || !first.msg.value.instanceId) {
        throw new GrpcError(GrpcStatus.INVALID_ARGUMENT, 'the first message must be hello with an instance id');
      }
      hello = first.msg.value;
    } catch (err) {
      const e = err instanceof GrpcError ? err : new GrpcError(GrpcStatus.INVALID_ARGUMENT, 'malformed hello');
      call.finish(e.status, e.message);
      return;
    }

    const agent: AgentConnection = {
      identity,
      instanceId: hello.instanceId.slice(0, 128),
      version: hello.version.slice(0, 64),
      address: source,
      since: new Date(),
      session: call.stream.session!,
      destinations: hello.destinations,
      draining: false,
      issuance,
      ip: call.socket.remoteAddress,
      send: (message) => {
        if (!call.isFinished) call.writeMessage(message);
      },
      close: (reason) => call.finish(GrpcStatus.UNAVAILABLE, reason),
    };
    const previous = ctx.agents.add(agent);
    if (previous) previous.close('replaced by a newer registration of the same instance');
    ctx.audit.record({ type: 'agent.connected', identity, instanceId: agent.instanceId, version: agent.version, source });
    ctx.log.info({ identity, instanceId: agent.instanceId, source, destinations: hello.destinations.length }, 'agent registered');
    agent.send(encodeServerMessage({ case: 'welcome', value: create(WelcomeSchema, { replicaId, replicaCount }) }));

    const onMessage = (bytes: Buffer): void => {
      const message = fromBinary(AgentMessageSchema, bytes);
      if (message.msg.case === 'ping') {
        agent.send(encodeServerMessage({ case: 'pong', value: create(PongSchema, { nonce: message.msg.value.nonce }) }));
      }
    };
    const consume = (chunk: Buffer): void => {
      try {
        for (const message of reader.push(chunk)) onMessage(message);
      } catch {
        call.finish(GrpcStatus.INVALID_ARGUMENT, 'malformed control message');
      }
    };
    consume(reader.drainRaw());
    call.stream.on('data', consume);
    call.stream.resume();
    const gone = (reason: string): void => {
      if (!ctx.agents.remove(agent)) return;
      ctx.pending.failAgent(agent);
      ctx.audit.record({ type: 'agent.disconnected', identity, instanceId: agent.instanceId, reason });
      ctx.log.info({ identity, instanceId: agent.instanceId, reason }, 'agent unregistered');
    };
    call.stream.once('end', () => {
      gone('control stream ended');
      call.finish(GrpcStatus.OK);
    });
    call.stream.once('close', () => gone('control stream closed'));
  };
}
