import { denied } from './decision.js';
import type { Decision } from './decision.js';
import type { CanonicalIp } from './ip.js';
import { specialRange } from './ip.js';

/** Where the agent itself listens; nothing the tunnel carries may reach these. */
export interface SelfEndpoints {
  /** Ports the agent listens on (its admin port). */
  readonly ports: readonly number[];
  /** Canonical addresses of this machine's interfaces (loopback and unspecified are always included). */
  readonly addresses: ReadonlySet<string>;
}

/**
 * The refusal of a dial to one of the agent's own listening ports on an address of this machine: any
 * loopback or unspecified address, or an interface address. No allowlist entry can lift this, so the
 * agent's admin endpoint is never reachable through the tunnel.
 */
export function selfRefusal(self: SelfEndpoints, ip: CanonicalIp, port: number): Decision | undefined {
  if (!self.ports.includes(port)) return undefined;
  const range = specialRange(ip);
  const local = range === 'loopback' || range === 'unspecified' || self.addresses.has(ip.address);
  return local ? denied(`port ${port} at ${ip.address} is the agent's own admin endpoint, never reachable through the tunnel`) : undefined;
}
