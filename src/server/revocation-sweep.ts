import type { AccessDecision } from '../auth/peer-access.js';
import { identityDecisions } from '../auth/decision-counters.js';
import type { Role } from '../pki/spiffe.js';
import type { IssuedCertificate } from '../registry/identity-store.js';
import { GrpcStatus } from '../protocol/grpc-status.js';
import type { ServerContext } from './context.js';
import { peerDecision } from './peer-access.js';
import { ResetReason } from './relay.js';

/**
 * Applies registry changes to live state: a tunnel or agent registration whose identity was disabled
 * or deleted, whose certificate's key was removed, or whose source left the identity's CIDRs ends on
 * the next sweep. Decisions are memoised per sweep so a thousand tunnels of one identity cost one look-up.
 */
export async function sweepRevoked(ctx: ServerContext): Promise<void> {
  const memo = new Map<string, AccessDecision>();
  const decide = async (identity: string, role: Role, issuance: IssuedCertificate | undefined, ip: string | undefined): Promise<AccessDecision> => {
    const key = `${identity}\u0000${role}\u0000${issuance?.keyId ?? ''}\u0000${ip ?? ''}`;
    let decision = memo.get(key);
    if (!decision) {
      decision = await peerDecision(ctx, { identity, role }, ip, issuance);
      memo.set(key, decision);
    }
    return decision;
  };
  try {
    for (const tunnel of [...ctx.tunnels.values()]) {
      const client = await decide(tunnel.client, 'client', tunnel.clientIssuance, tunnel.clientIp);
      const agent = client.allow ? await decide(tunnel.agent, 'agent', tunnel.agentIssuance, tunnel.agentIp) : client;
      if (agent.allow) continue;
      const offender = client.allow ? tunnel.agent : tunnel.client;
      identityDecisions.increment('revoked', agent.code);
      ctx.audit.record({
        type: 'deny',
        layer: 'identity',
        identity: offender,
        target: tunnel.target,
        code: agent.code,
        reason: `${agent.reason}; live tunnel ${tunnel.id} ended`,
      });
      ctx.log.warn({ identity: offender, tunnelId: tunnel.id, code: agent.code }, 'live tunnel ended by revocation');
      tunnel.relay.abort(ResetReason.POLICY, agent.reason, GrpcStatus.PERMISSION_DENIED);
    }
    for (const agent of ctx.agents.list()) {
      const decision = await decide(agent.identity, 'agent', agent.issuance, agent.ip);
      if (decision.allow) continue;
      identityDecisions.increment('revoked', decision.code);
      ctx.audit.record({ type: 'deny', layer: 'identity', identity: agent.identity, code: decision.code, reason: `${decision.reason}; agent registration ended` });
      agent.close(decision.reason);
    }
  } catch (err) {
    ctx.log.debug({ err: (err as Error).message }, 'identity registry unreadable; live tunnels kept until it answers');
    throw err;
  }
}
