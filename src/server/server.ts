import { randomUUID } from 'node:crypto';
import type { Http2SecureServer, Http2Session } from 'node:http2';
import { isIP, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { audienceFor } from '../auth/audience.js';
import { assertAdminBinding, startAdmin } from '../admin/admin-server.js';
import { DASHBOARD_DATA_PATH, DASHBOARD_HTML } from '../admin/dashboard.js';
import { WorkloadTokenVerifier, type TrustedIssuer } from '../auth/workload-token.js';
import type { Logger } from '../log/logger.js';
import { loadCa } from '../pki/ca.js';
import { generateLeafKey } from '../pki/leaf-key.js';
import { compileAcl, type AclRule } from '../policy/acl.js';
import { createGrpcServer, type CallHandler } from '../protocol/grpc-server.js';
import { GrpcStatus } from '../protocol/grpc-status.js';
import type { ResolvedStore } from '../config/store.js';
import { openServerStores } from '../store/open-stores.js';
import { denyCounts } from '../metrics/deny-counter.js';
import { acceptHandler } from './accept-service.js';
import { applyAcl } from './acl-reload.js';
import { AgentRegistry } from './agent-registry.js';
import { connectHandler } from './connect-service.js';
import type { ServerContext } from './context.js';
import { identityChanges, viewOf } from './identity-changes.js';
import { issueCertificateHandler } from './identity-service.js';
import { PendingDials } from './pending-dials.js';
import { openServerAudit, ServerObservability, type ServerAuditOptions } from './observability.js';
import { registerHandler } from './register-service.js';
import { ResetReason } from './relay.js';
import { sweepRevoked } from './revocation-sweep.js';

export interface ServerOptions {
  listen: { host: string; port: number };
  admin?: { host: string; port: number } | undefined;
  dataDir: string;
  serverNames: readonly string[];
  certLifetimeMs: number;
  acl: readonly AclRule[];
  maxStreamsPerIdentity: number;
  dialTimeoutMs: number;
  maxPendingDials: number;
  handshakeTimeoutMs: number;
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
  /** This replica's id (default: random per start) and how many replicas there are (default 1). */
  replicaId?: string | undefined;
  replicaCount?: number;
  /** OIDC issuers whose workload tokens buy client certificates. */
  trustedIssuers?: readonly TrustedIssuer[] | undefined;
  /** Passphrase of the CA key files, when they are encrypted. */
  caPassphrase?: string | undefined;
  /** Where audit records go: a file path, or 'stdout'. Defaults to <dataDir>/audit.jsonl. */
  auditFile?: string | undefined;
  /** Audit store, retention and JSON-lines sinks; defaults: SQLite in dataDir, 30 days. */
  audit?: ServerAuditOptions;
  /** Where identities, used token ids and the audit chain live; default SQLite files in dataDir. */
  store?: ResolvedStore | undefined;
  /** Bearer token for the admin listener; required when it is not on loopback. */
  adminToken?: string | undefined;
  log: Logger;
}

export interface RunningServer {
  /** host:port the gRPC listener is bound to. */
  address: string;
  port: number;
  adminPort: number | undefined;
  trustDomain: string;
  context: ServerContext;
  /** Puts new ACL rules into force and closes live tunnels they no longer permit; returns how many. */
  applyAcl(rules: readonly AclRule[]): number;
  /** Stops taking new streams, ends live tunnels after `graceMs`, and closes. */
  close(graceMs?: number): Promise<void>;
}

export const METHODS = {
  issueCertificate: '/causeway.v1.Identity/IssueCertificate',
  register: '/causeway.v1.Tunnel/Register',
  accept: '/causeway.v1.Tunnel/Accept',
  connect: '/causeway.v1.Tunnel/Connect',
} as const;

const SERVER_CERT_LIFETIME_MS = 24 * 3600_000;
const POLICY_SWEEP_MS = 1000;

/** Starts the tunnel server: CA front, agent registrations, client tunnels, audit and admin endpoints. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.log;
  if (options.admin) assertAdminBinding(options.admin.host, options.adminToken);
  const ca = await loadCa(join(options.dataDir, 'ca'), { passphrase: options.caPassphrase });
  const replicaId = options.replicaId ?? randomUUID();
  const stores = await openServerStores(options.store ?? { target: { kind: 'sqlite' } }, {
    dataDir: options.dataDir,
    // One audit chain per process: a replica restarted under the same id starts a new chain.
    chain: `${replicaId}/${new Date().toISOString()}/${randomUUID().slice(0, 8)}`,
    audit: { enabled: (options.audit?.store ?? 'sqlite') !== 'none', retentionMs: options.audit?.retentionMs, pruneIntervalMs: options.audit?.pruneIntervalMs },
    log,
  });
  const registry = stores.identities;
  const auditStore = stores.audit;
  const audit = openServerAudit(options.dataDir, auditStore, options.audit ?? {}, options.auditFile);
  const ctx: ServerContext = {
    trustDomain: ca.trustDomain,
    audience: audienceFor(ca.trustDomain),
    certLifetimeMs: options.certLifetimeMs,
    ca,
    registry,
    replay: stores.replay,
    storeKind: stores.kind,
    agents: new AgentRegistry(),
    pending: new PendingDials(options.maxPendingDials),
    acl: compileAcl(options.acl),
    audit,
    log,
    limits: {
      maxStreamsPerIdentity: options.maxStreamsPerIdentity,
      dialTimeoutMs: options.dialTimeoutMs,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
    },
    tunnels: new Map(),
    streamsByIdentity: new Map(),
    workloadTokens: options.trustedIssuers?.length ? new WorkloadTokenVerifier(options.trustedIssuers) : undefined,
  };

  let own = await issueOwnCertificate(ctx, options.serverNames);
  let storeDown = false;
  const observability = new ServerObservability(ctx, auditStore, log, () => own.notAfter, options.audit?.unauthorizedWarn, () => !storeDown);
  const routes = new Map<string, CallHandler>([
    [METHODS.issueCertificate, issueCertificateHandler(ctx)],
    [METHODS.register, registerHandler(ctx, replicaId, options.replicaCount ?? 1)],
    [METHODS.accept, acceptHandler(ctx)],
    [METHODS.connect, connectHandler(ctx)],
  ]);
  let draining = false;
  const guarded = new Map<string, CallHandler>(
    [...routes].map(([method, handler]): [string, CallHandler] => [
      method,
      (call) => (draining ? call.finish(GrpcStatus.UNAVAILABLE, 'server is shutting down') : handler(call)),
    ]),
  );
  const grpc = createGrpcServer(
    {
      key: own.key,
      cert: own.cert,
      ca: ca.bundlePem,
      // An agent's connection carries its control stream beside one Accept stream per tunnel.
      maxConcurrentStreams: Math.max(10_000, options.maxStreamsPerIdentity + 16),
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 10_000,
      keepaliveTimeoutMs: options.keepaliveTimeoutMs ?? 10_000,
      onError: (err, context) => log.debug({ err: (err as Error)?.message, context }, 'transport error'),
    },
    guarded,
  );
  const sessions = new Set<Http2Session>();
  grpc.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await listen(grpc, options.listen.host, options.listen.port);
  const port = (grpc.address() as AddressInfo).port;

  const refreshOwn = setInterval(async () => {
    try {
      const fresh = await issueOwnCertificate(ctx, options.serverNames);
      grpc.setSecureContext({ key: fresh.key, cert: fresh.cert, ca: ca.bundlePem });
      own = fresh;
      log.info('server certificate renewed');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'could not renew the server certificate');
    }
  }, Math.floor((SERVER_CERT_LIFETIME_MS * 2) / 3));
  refreshOwn.unref();

  let identities = viewOf(await registry.list());
  let sweeping = false;
  let sweepAgain = false;
  let storeDownSince = 0;
  /**
   * Re-checks every live tunnel and agent against the registry and audits identity changes. Runs each
   * second, and at once when another replica announces a change; one at a time, so a slow database
   * never piles up overlapping sweeps (a request while one runs makes it run once more after).
   */
  const runSweep = (): void => {
    if (draining) return;
    if (sweeping) {
      sweepAgain = true;
      return;
    }
    sweeping = true;
    void (async () => {
      try {
        await sweepRevoked(ctx);
        const now = await ctx.registry.list();
        for (const event of identityChanges(identities, now)) ctx.audit.record(event);
        identities = viewOf(now);
        if (storeDown) log.info({ store: stores.description, downMs: Date.now() - storeDownSince }, 'shared store reachable again; new certificates and streams accepted');
        storeDown = false;
      } catch (err) {
        if (!storeDown) {
          storeDownSince = Date.now();
          log.error({ store: stores.description, err: (err as Error).message }, 'store unreachable; live tunnels kept, new certificates and streams refused until it returns');
        }
        storeDown = true;
      } finally {
        sweeping = false;
        if (sweepAgain) {
          sweepAgain = false;
          runSweep();
        }
      }
    })();
  };
  const sweep = setInterval(runSweep, POLICY_SWEEP_MS);
  sweep.unref();
  stores.watch(runSweep);

  let adminPort: number | undefined;
  let adminServer: import('node:http').Server | undefined;
  if (options.admin) {
    const admin = await startAdmin(options.admin.host, options.admin.port, {
      notReadyReason: () => (draining ? 'draining' : !grpc.listening ? 'not listening' : ca.intermediateDer.length === 0 ? 'CA not loaded' : undefined),
      token: options.adminToken,
      metrics: observability.metrics,
      html: { '/': DASHBOARD_HTML, '/dashboard': DASHBOARD_HTML },
      json: {
        [DASHBOARD_DATA_PATH]: () => observability.snapshot(),
        '/status': () => ({
          replicaId,
          trustDomain: ca.trustDomain,
          agents: ctx.agents.list().map((a) => ({
            identity: a.identity,
            instanceId: a.instanceId,
            version: a.version,
            address: a.address,
            since: a.since.toISOString(),
          })),
          tunnels: [...ctx.tunnels.values()].map((t) => ({
            id: t.id,
            client: t.client,
            agent: t.agent,
            target: t.target,
            ageMs: Date.now() - t.startedAt,
          })),
          denies: denyCounts(),
        }),
      },
    });
    adminPort = admin.port;
    adminServer = admin.server;
  }

  const address = `${isIP(options.listen.host) === 6 ? `[${options.listen.host}]` : options.listen.host}:${port}`;
  log.info({ event: 'ready', address, port, adminPort, trustDomain: ca.trustDomain, replicaId, store: stores.description }, 'server listening');

  return {
    address,
    port,
    adminPort,
    trustDomain: ca.trustDomain,
    context: ctx,
    applyAcl: (rules) => applyAcl(ctx, compileAcl(rules)),
    async close(graceMs = 0) {
      // Stop taking connections and tell every peer (GOAWAY) to open new streams elsewhere, while the
      // streams already open keep running; agents are released so they register with other replicas.
      draining = true;
      clearInterval(sweep);
      clearInterval(refreshOwn);
      const closed = new Promise<void>((resolve) => grpc.close(() => resolve()));
      for (const agent of ctx.agents.list()) agent.close('server shutting down');
      for (const session of sessions) session.close();
      if (graceMs > 0 && ctx.tunnels.size > 0) {
        log.info({ tunnels: ctx.tunnels.size, graceMs }, 'draining live tunnels');
        const deadline = Date.now() + graceMs;
        while (ctx.tunnels.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      }
      for (const tunnel of ctx.tunnels.values()) {
        tunnel.relay.abort(ResetReason.SHUTDOWN, 'server shutting down', GrpcStatus.UNAVAILABLE);
      }
      const stragglers = setTimeout(() => {
        for (const session of sessions) session.destroy();
      }, 1000);
      stragglers.unref();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      adminServer?.close();
      adminServer?.closeAllConnections();
      observability.close();
      await audit.close();
      await stores.close();
    },
  };
}

async function issueOwnCertificate(ctx: ServerContext, names: readonly string[]): Promise<{ key: string; cert: string; notAfter: Date }> {
  const key = await generateLeafKey();
  const leaf = await ctx.ca.issueLeaf({
    publicKey: key.keyPair.publicKey,
    identity: 'server',
    role: 'server',
    lifetimeMs: SERVER_CERT_LIFETIME_MS,
    dnsNames: names.filter((n) => !isIP(n)),
    ipAddresses: names.filter((n) => isIP(n)),
  });
  return { key: key.privateKeyPem, cert: leaf.certPem + ctx.ca.chainPem, notAfter: leaf.notAfter };
}

function listen(server: Http2SecureServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
