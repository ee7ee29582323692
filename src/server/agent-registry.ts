import type { Http2Session } from 'node:http2';
import type { IssuedCertificate } from '../registry/identity-store.js';
import type { Destination } from '../protocol/gen/causeway/v1/tunnel_pb.js';

/** One registered agent process: its identity, instance and control stream. */
export interface AgentConnection {
  identity: string;
  instanceId: string;
  version: string;
  address: string;
  since: Date;
  session: Http2Session;
  destinations: readonly Destination[];
  /** Sends a message on the control stream. */
  send(message: Uint8Array): void;
  /** Ends the control stream (for example when the identity is disabled). */
  close(reason: string): void;
  draining: boolean;
  /** The registry's record of the certificate the control stream came with, and its source IP, for revocation. */
  issuance?: IssuedCertificate | undefined;
  ip?: string | undefined;
}

/**
 * Agents currently registered, keyed by identity and instance id. A re-registration replaces the old
 * entry, and removing a stale entry never removes the one that replaced it.
 */
export class AgentRegistry {
  private readonly agents = new Map<string, AgentConnection>();

  private static key(identity: string, instanceId: string): string {
    return `${identity}\u0000${instanceId}`;
  }

  /** Adds an agent; returns the connection it replaced, if any. */
  add(agent: AgentConnection): AgentConnection | undefined {
    const key = AgentRegistry.key(agent.identity, agent.instanceId);
    const previous = this.agents.get(key);
    this.agents.set(key, agent);
    return previous;
  }

  /** Removes this exact connection; a newer registration of the same instance stays. */
  remove(agent: AgentConnection): boolean {
    const key = AgentRegistry.key(agent.identity, agent.instanceId);
    if (this.agents.get(key) !== agent) return false;
    this.agents.delete(key);
    return true;
  }

  list(): AgentConnection[] {
    return [...this.agents.values()];
  }

  byIdentity(identity: string): AgentConnection[] {
    return this.list().filter((a) => a.identity === identity);
  }

  get size(): number {
    return this.agents.size;
  }
}
