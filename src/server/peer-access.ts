import { decideAccess, type AccessDecision } from '../auth/peer-access.js';
import { identityDecisions } from '../auth/decision-counters.js';
import type { PeerIdentity } from '../auth/peer-identity.js';
import type { IssuedCertificate } from '../registry/identity-store.js';
import type { ServerCall } from '../protocol/grpc-server.js';
import { GrpcStatus } from '../protocol/grpc-status.js';
import type { ServerContext } from './context.js';
import { peerAddress } from './peer.js';

const UNAVAILABLE_LOG_INTERVAL_MS = 5000;
let lastUnavailableLog = 0;
let unavailableSinceLog = 0;

/**
 * Checks the registry for a stream from an authenticated peer: enabled, its certificate's key still
 * registered, its source inside its CIDRs. Returns the registry's record of the certificate, which the
 * stream keeps so later sweeps need not find it again (records are pruned when certificates expire,
 * while a stream may outlive its certificate). On refusal it audits, counts, ends the call and returns
 * undefined.
 */
export async function admitPeer(ctx: ServerContext, call: ServerCall, peer: PeerIdentity, stream: string): Promise<IssuedCertificate | undefined> {
  let issuance: IssuedCertificate | undefined;
  let decision: AccessDecision;
  try {
    issuance = await ctx.registry.issuance(peer.serialHex);
    decision = await peerDecision(ctx, peer, call.socket.remoteAddress, issuance);
  } catch (err) {
    // Fail closed: without the registry nobody's standing can be checked.
    identityDecisions.increment('stream', 'ERR_REGISTRY_UNAVAILABLE');
    // At most one line per few seconds: an outage under load must not flood the log.
    const now = Date.now();
    if (now - lastUnavailableLog >= UNAVAILABLE_LOG_INTERVAL_MS) {
      ctx.log.warn({ identity: peer.identity, stream, err: (err as Error).message, alsoRefused: unavailableSinceLog }, 'stream refused: identity store unavailable');
      lastUnavailableLog = now;
      unavailableSinceLog = 0;
    } else {
      unavailableSinceLog++;
    }
    call.finish(GrpcStatus.UNAVAILABLE, storeUnavailableMessage(ctx));
    return undefined;
  }
  if (call.isFinished) return undefined;
  if (decision.allow) {
    identityDecisions.increment('stream');
    return issuance;
  }
  identityDecisions.increment('stream', decision.code);
  ctx.audit.record({ type: 'deny', layer: 'identity', identity: peer.identity, code: decision.code, reason: decision.reason, source: peerAddress(call) });
  ctx.log.warn({ identity: peer.identity, code: decision.code, reason: decision.reason, stream }, 'stream refused');
  call.finish(GrpcStatus.PERMISSION_DENIED, decision.reason);
  return undefined;
}

/**
 * What a refused caller is told while the registry cannot be read: which kind of store (the operator's
 * log has its redacted address; remote callers, some not yet authenticated, never see it).
 */
export function storeUnavailableMessage(ctx: Pick<ServerContext, 'storeKind'>): string {
  return `the server's identity store (${ctx.storeKind}) is unavailable; refusing new certificates and streams until it returns, try again shortly`;
}

/** The registry's current decision on a certificate holder at `sourceIp`. */
export async function peerDecision(
  ctx: ServerContext,
  peer: Pick<PeerIdentity, 'identity' | 'role'>,
  sourceIp: string | undefined,
  issuance: IssuedCertificate | undefined,
): Promise<AccessDecision> {
  return decideAccess({ identity: peer.identity, role: peer.role, record: await ctx.registry.get(peer.identity), issuance, sourceIp });
}
