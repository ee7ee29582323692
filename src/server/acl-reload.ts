import { countDeny } from '../metrics/deny-counter.js';
import type { Acl } from '../policy/acl.js';
import { decideAcl } from '../policy/acl.js';
import { GrpcStatus } from '../protocol/grpc-status.js';
import type { ServerContext } from './context.js';
import { ResetReason } from './relay.js';

/**
 * Puts a new ACL into force: new streams are decided by it at once, and every live tunnel is checked
 * again; one it no longer permits is reset with PERMISSION_DENIED on both legs and audited. Tunnels
 * still permitted keep running. Returns how many were closed.
 */
export function applyAcl(ctx: ServerContext, acl: Acl): number {
  ctx.acl = acl;
  let closed = 0;
  for (const tunnel of [...ctx.tunnels.values()]) {
    const decision = decideAcl(acl, { client: tunnel.client, agent: tunnel.agent, host: tunnel.host, port: tunnel.port });
    if (decision.allow) continue;
    closed++;
    countDeny('acl');
    ctx.audit.record({
      type: 'deny',
      layer: 'acl',
      identity: tunnel.client,
      agent: tunnel.agent,
      target: tunnel.target,
      reason: `acl reloaded; live tunnel closed: ${decision.reason}`,
    });
    tunnel.relay.abort(ResetReason.POLICY, 'no longer permitted by the ACL', GrpcStatus.PERMISSION_DENIED);
  }
  return closed;
}
