import type { AuditLog } from '../audit/audit-log.js';
import type { ReplayCache } from '../auth/replay-cache.js';
import type { WorkloadTokenVerifier } from '../auth/workload-token.js';
import type { Logger } from '../log/logger.js';
import type { CertificateAuthority } from '../pki/ca.js';
import type { Acl } from '../policy/acl.js';
import type { IdentityStore, IssuedCertificate } from '../registry/identity-store.js';
import type { AgentRegistry } from './agent-registry.js';
import type { PendingDials } from './pending-dials.js';
import type { Relay } from './relay.js';

/** A live tunnel as the server tracks it, so policy changes can end it. */
export interface LiveTunnel {
  id: string;
  client: string;
  agent: string;
  instanceId: string;
  target: string;
  host: string;
  port: number;
  startedAt: number;
  relay: Relay;
  /** Which key bought each leg's certificate, and each leg's source IP, so revocation can find the tunnel. */
  clientIssuance?: IssuedCertificate | undefined;
  clientIp?: string | undefined;
  agentIssuance?: IssuedCertificate | undefined;
  agentIp?: string | undefined;
}

export interface ServerLimits {
  maxStreamsPerIdentity: number;
  dialTimeoutMs: number;
  handshakeTimeoutMs: number;
}

/** What the server's handlers share. */
export interface ServerContext {
  trustDomain: string;
  audience: string;
  certLifetimeMs: number;
  ca: CertificateAuthority;
  registry: IdentityStore;
  /** Token ids already used for issuance: per process with SQLite, shared by replicas with PostgreSQL. */
  replay: ReplayCache;
  /** Which store the registry lives in, as refusals to remote callers name it (never its address). */
  storeKind: 'SQLite' | 'PostgreSQL';
  agents: AgentRegistry;
  pending: PendingDials;
  acl: Acl;
  audit: AuditLog;
  log: Logger;
  limits: ServerLimits;
  tunnels: Map<string, LiveTunnel>;
  streamsByIdentity: Map<string, number>;
  /** Trusted OIDC issuers for client workload identity, when configured. */
  workloadTokens?: WorkloadTokenVerifier | undefined;
}
