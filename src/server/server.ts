import { randomUUID } from 'node:crypto';
import type { Http2SecureServer, Http2Session } from 'node:http2';
import { isIP, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AuditLog, JsonLinesSink } from '../audit/audit-log.js';
import { audienceFor } from '../auth/audience.js';
import { WorkloadTokenVerifier, type TrustedIssuer } from '../auth/workload-token.js';
import { startAdmin } from '../admin/admin-server.js';
import type { Logger } from '../log/logger.js';
import { loadCa } from '../pki/ca.js';
import { generateLeafKey } from '../pki/leaf-key.js';
import { compileAcl, type AclRule } from '../policy/acl.js';
import { createGrpcServer, type CallHandler } from '../protocol/grpc-server.js';
import { GrpcStatus } from '../protocol/grpc-status.js';
import { openIdentityStore } from '../registry/open-identity-store.js';
import { acceptHandler } from './accept-service.js';
import { AgentRegistry } from './agent-registry.js';
import { connectHandler } from './connect-service.js';
import type { ServerContext } from './context.js';
import { issueCertificateHandler } from './identity-service.js';
import { PendingDials } from './pending-dials.js';
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
  /** OIDC issuers whose workload tokens buy client certificates. */
  trustedIssuers?: readonly TrustedIssuer[] | undefined;
  /** Passphrase of the CA key files, when they are encrypted. */
  caPassphrase?: string | undefined;
  /** Where audit records go: a file path, or 'stdout'. Defaults to <dataDir>/audit.jsonl. */
  auditFile?: string | undefined;
  log: Logger;
}

export interface RunningServer {
  /** host:port the gRPC listener is bound to. */
  address: string;
  port: number;
  adminPort: number | undefined;
  trustDomain: string;
  context: ServerContext;
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
  const ca = await loadCa(join(options.dataDir, 'ca'), { passphrase: options.caPassphrase });
  const registry = openIdentityStore(options.dataDir);
  const audit = new AuditLog([new JsonLinesSink(options.auditFile ?? join(options.dataDir, 'audit.jsonl'))], 'server');
  const replicaId = randomUUID();
  const ctx: ServerContext = {
    trustDomain: ca.trustDomain,
    audience: audienceFor(ca.trustDomain),
    certLifetimeMs: options.certLifetimeMs,
    ca,
    registry,
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

  const own = await issueOwnCertificate(ctx, options.serverNames);
  const routes = new Map<string, CallHandler>([
    [METHODS.issueCertificate, issueCertificateHandler(ctx)],
    [METHODS.register, registerHandler(ctx, replicaId)],
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
      maxConcurrentStreams: 10_000,
      keepaliveIntervalMs: 15_000,
      keepaliveTimeoutMs: 10_000,
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
      log.info('server certificate renewed');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'could not renew the server certificate');
    }
  }, Math.floor((SERVER_CERT_LIFETIME_MS * 2) / 3));
  refreshOwn.unref();

  const sweep = setInterval(() => sweepRevoked(ctx), POLICY_SWEEP_MS);
  sweep.unref();

  let adminPort: number | undefined;
  let adminServer: import('node:http').Server | undefined;
  if (options.admin) {
    const admin = await startAdmin(options.admin.host, options.admin.port, {
      notReadyReason: () => (draining ? 'draining' : grpc.listening ? undefined : 'not listening'),
      json: {
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
        }),
      },
    });
    adminPort = admin.port;
    adminServer = admin.server;
  }

  const address = `${isIP(options.listen.host) === 6 ? `[${options.listen.host}]` : options.listen.host}:${port}`;
  log.info({ event: 'ready', address, port, adminPort, trustDomain: ca.trustDomain, replicaId }, 'server listening');

  return {
    address,
    port,
    adminPort,
    trustDomain: ca.trustDomain,
    context: ctx,
    async close(graceMs = 0) {
      draining = true;
      clearInterval(sweep);
      clearInterval(refreshOwn);
      if (graceMs > 0 && ctx.tunnels.size > 0) {
        const deadline = Date.now() + graceMs;
        while (ctx.tunnels.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      }
      for (const tunnel of ctx.tunnels.values()) {
        tunnel.relay.abort(ResetReason.SHUTDOWN, 'server shutting down', GrpcStatus.UNAVAILABLE);
      }
      for (const agent of ctx.agents.list()) agent.close('server shutting down');
      await new Promise<void>((resolve) => {
        grpc.close(() => resolve());
        setTimeout(resolve, 2000).unref();
      });
      // Parties that stay connected would otherwise keep the process alive after close.
      for (const session of sessions) session.destroy();
      adminServer?.close();
      adminServer?.closeAllConnections();
      await audit.close();
      registry.close();
    },
  };
}

async function issueOwnCertificate(ctx: ServerContext, names: readonly string[]): Promise<{ key: string; cert: string }> {
  const key = await generateLeafKey();
  const leaf = await ctx.ca.issueLeaf({
    publicKey: key.keyPair.publicKey,
    identity: 'server',
    role: 'server',
    lifetimeMs: SERVER_CERT_LIFETIME_MS,
    dnsNames: names.filter((n) => !isIP(n)),
    ipAddresses: names.filter((n) => isIP(n)),
  });
  return { key: key.privateKeyPem, cert: leaf.certPem + ctx.ca.chainPem };
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
