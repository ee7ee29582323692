import { randomUUID } from 'node:crypto';
import type { PeerIdentity } from '../auth/peer-identity.js';
import type { IssuedCertificate } from '../registry/identity-store.js';
import { create } from '@bufbuild/protobuf';
import { decideAcl } from '../policy/acl.js';
import { summaryCovers } from '../policy/allowlist.js';
import { formatHostPort, normalizeHost } from '../policy/host.js';
import { countDeny } from '../metrics/deny-counter.js';
import { DialRequestSchema } from '../protocol/gen/causeway/v1/tunnel_pb.js';
import { decodeFrame, DialResult, openedFrame } from '../protocol/frames.js';
import { readFirstMessage } from '../protocol/first-message.js';
import type { CallHandler, ServerCall } from '../protocol/grpc-server.js';
import { GrpcError, GrpcStatus, type GrpcStatusCode } from '../protocol/grpc-status.js';
import { MessageReader } from '../protocol/message-framing.js';
import type { AgentConnection } from './agent-registry.js';
import type { ServerContext } from './context.js';
import { DialError, type DialAnswer } from './pending-dials.js';
import { authenticatePeer, peerAddress } from './peer.js';
import { acceptIssuance } from './accept-service.js';
import { admitPeer } from './peer-access.js';
import { encodeServerMessage } from './register-service.js';
import { relay } from './relay.js';

const MAX_FRAME_MESSAGE_BYTES = 1024 * 1024;

/** How each dial result reaches a gRPC caller. */
const STATUS_FOR_RESULT: Record<DialResult, GrpcStatusCode> = {
  [DialResult.UNSPECIFIED]: GrpcStatus.UNKNOWN,
  [DialResult.OK]: GrpcStatus.OK,
  [DialResult.REFUSED]: GrpcStatus.UNAVAILABLE,
  [DialResult.UNREACHABLE]: GrpcStatus.UNAVAILABLE,
  [DialResult.DENIED]: GrpcStatus.PERMISSION_DENIED,
  [DialResult.TIMEOUT]: GrpcStatus.DEADLINE_EXCEEDED,
  [DialResult.NO_AGENT]: GrpcStatus.UNAVAILABLE,
  [DialResult.ERROR]: GrpcStatus.RESOURCE_EXHAUSTED,
};

/** Ends a Connect call with a dial result: an `opened` frame saying why, then the matching status. */
function refuse(call: ServerCall, result: DialResult, message: string): void {
  if (call.isFinished) return;
  call.sendHeaders();
  call.stream.write(openedFrame({ result, message }));
  call.finish(STATUS_FOR_RESULT[result], message);
}

/** Tunnel.Connect: a client asks for one TCP connection to `host:port` through a permitted agent. */
export function connectHandler(ctx: ServerContext): CallHandler {
  return async (call) => {
    const source = peerAddress(call);
    let client: string;
    let clientPeer: PeerIdentity;
    try {
      clientPeer = authenticatePeer(call, ctx.trustDomain, 'client');
      client = clientPeer.identity;
    } catch (err) {
      const e = err as GrpcError;
      countDeny('authn');
      ctx.audit.record({ type: 'deny', rule: 'authn:certificate', layer: 'authn', identity: 'unknown', reason: e.message, source });
      call.finish(e.status, e.message);
      return;
    }
    const clientIssuance = await admitPeer(ctx, call, clientPeer, 'connect');
    if (!clientIssuance) return;
    const active = ctx.streamsByIdentity.get(client) ?? 0;
    if (active >= ctx.limits.maxStreamsPerIdentity) {
      countDeny('limit');
      ctx.audit.record({ type: 'deny', rule: 'limit:streams', layer: 'limit', identity: client, reason: 'too many tunnels', source });
      call.finish(GrpcStatus.RESOURCE_EXHAUSTED, `identity ${client} has ${active} tunnels open, the limit`);
      return;
    }

    // The stream counts against its identity from now on, pending dial included, until it ends.
    ctx.streamsByIdentity.set(client, active + 1);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      const left = (ctx.streamsByIdentity.get(client) ?? 1) - 1;
      if (left > 0) ctx.streamsByIdentity.set(client, left);
      else ctx.streamsByIdentity.delete(client);
    };
    call.stream.once('close', release);

    const reader = new MessageReader(MAX_FRAME_MESSAGE_BYTES);
    let host: string;
    let port: number;
    let requested: string | undefined;
    try {
      const frame = decodeFrame(await readFirstMessage(call.stream, reader, ctx.limits.handshakeTimeoutMs));
      if (frame.kind.case !== 'open') throw new GrpcError(GrpcStatus.INVALID_ARGUMENT, 'the first frame of Connect must be open');
      // Canonical from here on (case, trailing dot, IDN, every IP notation), so the ACL, the routing
      // by allowlist summaries and the agent all see the same host.
      const canonical = normalizeHost(frame.kind.value.host);
      port = frame.kind.value.port;
      requested = `${frame.kind.value.host}:${port}`;
      if (canonical.kind === 'invalid' || !Number.isInteger(port) || port < 1 || port > 65535) {
        throw new GrpcError(GrpcStatus.INVALID_ARGUMENT, 'open needs a valid host name or IP and a port from 1 to 65535');
      }
      host = canonical.host;
    } catch (err) {
      const e = err instanceof GrpcError ? err : new GrpcError(GrpcStatus.INVALID_ARGUMENT, 'malformed frame');
      if (e.status === GrpcStatus.INVALID_ARGUMENT) {
        // A target that cannot even be parsed is refused: audited with the raw value kept as data
        // (escaped by the sinks, never structure), answered with the protocol's own error.
        countDeny('request');
        ctx.audit.record({
          type: 'deny',
          layer: 'request',
          rule: 'request:malformed-target',
          identity: client,
          ...(requested !== undefined ? { target: requested } : {}),
          reason: `invalid open request: ${e.message}`,
          source,
        });
      }
      call.finish(e.status, e.message);
      return;
    }
    const target = formatHostPort(host, port);

    const connected = ctx.agents.list().filter((a) => !a.draining);
    const permitted = connected.filter((a) => decideAcl(ctx.acl, { client, agent: a.identity, host, port }).allow);
    const candidates = permitted.filter((a) => summaryCovers(a.destinations, host, port));
    if (candidates.length === 0) {
      if (permitted.length > 0) {
        const reason = 'no permitted agent allows this destination';
        countDeny('allowlist');
        ctx.audit.record({ type: 'deny', rule: 'allowlist:server-summary', layer: 'allowlist', identity: client, target, reason: `${reason} (by the allowlists the agents advertise)`, source });
        return refuse(call, DialResult.DENIED, `${target}: ${reason}`);
      }
      // Only picks the wording of a refusal: an unreachable registry reads as "no agent connected".
      const registered = await ctx.registry.list().catch(() => []);
      const grantedSomewhere = registered.some((r) => r.role === 'agent' && decideAcl(ctx.acl, { client, agent: r.name, host, port }).allow);
      if (!grantedSomewhere) {
        const reason = 'the ACL grants this client no agent for this destination';
        countDeny('acl');
        ctx.audit.record({ type: 'deny', rule: 'acl:no-rule', layer: 'acl', identity: client, target, reason: `${reason} (default deny: no acl rule matches)`, source });
        return refuse(call, DialResult.DENIED, `${target}: ${reason}`);
      }
      return refuse(call, DialResult.NO_AGENT, `${target}: no agent that may serve it is connected`);
    }

    const dialStarted = Date.now();
    const answer = await dialThroughAgents(ctx, call, shuffle(candidates), client, host, port);
    if (!answer) return;
    const { agent, dial } = answer;
    const opened = dial.opened;
    if (call.isFinished || call.stream.closed) {
      dial.call.finish(GrpcStatus.CANCELLED, 'the client went away');
      return;
    }
    if (opened.result !== DialResult.OK) {
      const message = opened.message || DialResult[opened.result] || 'dial failed';
      if (opened.result === DialResult.DENIED) {
        countDeny('allowlist');
        ctx.audit.record({ type: 'deny', rule: 'allowlist:agent', layer: 'allowlist', identity: client, agent: agent.identity, target, reason: `the agent refused: ${message}`, source });
      } else {
        const dialMs = Date.now() - dialStarted;
        ctx.audit.record({ type: 'dial.failed', client, agent: agent.identity, target, result: DialResult[opened.result] ?? 'UNKNOWN', reason: message, dialMs });
      }
      dial.call.finish(GrpcStatus.OK);
      return refuse(call, opened.result, message);
    }

    // The ACL may have been reloaded while the agent was dialling: the stream is checked again.
    const recheck = decideAcl(ctx.acl, { client, agent: agent.identity, host, port });
    if (!recheck.allow) {
      countDeny('acl');
      ctx.audit.record({ type: 'deny', layer: 'acl', identity: client, agent: agent.identity, target, reason: `acl reloaded during the dial: ${recheck.reason}`, source });
      dial.call.finish(GrpcStatus.PERMISSION_DENIED, 'no longer permitted');
      return refuse(call, DialResult.DENIED, `${target}: the ACL grants this client no agent for this destination`);
    }

    const id = randomUUID();
    const startedAt = Date.now();
    call.sendHeaders();
    call.stream.write(openedFrame({ result: DialResult.OK, remoteAddress: opened.remoteAddress }));
    ctx.audit.record({
      type: 'tunnel.opened',
      tunnelId: id,
      client,
      agent: agent.identity,
      instanceId: agent.instanceId,
      target,
      remoteAddress: opened.remoteAddress,
      dialMs: startedAt - dialStarted,
    });
    const tunnel = relay({ call, reader }, { call: dial.call, reader: dial.reader }, (result) => {
      ctx.tunnels.delete(id);
      release();
      ctx.audit.record({
        type: 'tunnel.closed',
        tunnelId: id,
        client,
        agent: agent.identity,
        target,
        remoteAddress: opened.remoteAddress,
        bytesUp: result.bytesUp,
        bytesDown: result.bytesDown,
        durationMs: Date.now() - startedAt,
        reason: result.detail ?? result.reason,
      });
    });
    ctx.tunnels.set(id, {
      id,
      client,
      agent: agent.identity,
      instanceId: agent.instanceId,
      target,
      host,
      port,
      startedAt,
      relay: tunnel,
      clientIssuance,
      clientIp: call.socket.remoteAddress,
      ...acceptLeg(dial.call),
    });
  };
}

/** Sends the dial to one agent after another until one answers; an agent that vanished is skipped. */
async function dialThroughAgents(
  ctx: ServerContext,
  call: ServerCall,
  candidates: AgentConnection[],
  client: string,
  host: string,
  port: number,
): Promise<{ agent: AgentConnection; dial: DialAnswer } | undefined> {
  for (const agent of candidates) {
    let started;
    try {
      started = ctx.pending.start(agent, ctx.limits.dialTimeoutMs + 2000);
    } catch (err) {
      refuse(call, DialResult.ERROR, (err as Error).message);
      return undefined;
    }
    const request = create(DialRequestSchema, {
      dialId: started.dialId,
      host,
      port,
      clientIdentity: client,
      timeoutMs: ctx.limits.dialTimeoutMs,
    });
    agent.send(encodeServerMessage({ case: 'dial', value: request }));
    try {
      return { agent, dial: await started.answer };
    } catch (err) {
      if (err instanceof DialError && err.code === 'ERR_AGENT_GONE') continue;
      refuse(call, DialResult.TIMEOUT, `${host}:${port}: ${(err as Error).message}`);
      return undefined;
    }
  }
  refuse(call, DialResult.NO_AGENT, `${host}:${port}: every agent that may serve it went away`);
  return undefined;
}

/** Which key bought the agent certificate that carries a tunnel's Accept leg, and its source. */
function acceptLeg(call: ServerCall): { agentIssuance?: IssuedCertificate | undefined; agentIp?: string | undefined } {
  return { agentIssuance: acceptIssuance.get(call), agentIp: call.socket.remoteAddress };
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

