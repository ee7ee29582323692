import { randomUUID } from 'node:crypto';
import type { ClientHttp2Stream } from 'node:http2';
import { create, toBinary } from '@bufbuild/protobuf';
import type { AuditLog } from '../audit/audit-log.js';
import type { PartyCredential } from '../identity/obtain-certificate.js';
import type { ServerLink } from '../identity/server-link.js';
import type { Logger } from '../log/logger.js';
import type { EgressProxy } from '../protocol/http-connect.js';
import { formatHostPort } from '../policy/host.js';
import { summarize, type Allowlist } from '../policy/allowlist.js';
import type { SelfEndpoints } from '../policy/self-endpoint.js';
import { DialResult, openedFrame } from '../protocol/frames.js';
import {
  AgentMessageSchema,
  DestinationSchema,
  HelloSchema,
  PortRangeSchema,
  type DialRequest,
} from '../protocol/gen/causeway/v1/tunnel_pb.js';
import { encodeMessage, MessageReader } from '../protocol/message-framing.js';
import { spliceSocket } from '../protocol/tunnel-endpoint.js';
import { checkAndDial, stillAllowed, type CheckedDial, type FailedDial } from './check-dial.js';
import { countDeny } from '../metrics/deny-counter.js';
import { ControlConnection } from './control-connection.js';
import { LiveTunnels } from './live-tunnels.js';
import type { NameResolver } from './resolve.js';

const ACCEPT_METHOD = '/causeway.v1.Tunnel/Accept';
const MAX_FRAME_MESSAGE_BYTES = 1024 * 1024;
const MAX_DIAL_TIMEOUT_MS = 60_000;

export interface AgentOptions {
  credential: PartyCredential;
  /** One address per server replica (or one load-balancer address for a single server). */
  addresses: readonly string[];
  /** The allowlist at start; {@link Agent.applyAllowlist} replaces it. */
  allowlist: Allowlist;
  resolver: NameResolver;
  /** The agent's own endpoints (its admin port), never reachable through the tunnel. */
  self: () => SelfEndpoints;
  dialTimeoutMs: number;
  maxTunnels: number;
  idleTimeoutMs: number;
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
  /** The corporate HTTP proxy the connections to the server go through (never the dials to targets). */
  proxy?: EgressProxy | undefined;
  version: string;
  log: Logger;
  audit: AuditLog;
}

/**
 * The agent: holds a control stream to every server replica it was given, and for each dial request
 * checks its own allowlist (the customer's last word), resolves the name once, dials the checked
 * address and splices it to an Accept stream on the replica that asked.
 */
export class Agent {
  readonly instanceId = randomUUID();
  private readonly connections: ControlConnection[];
  private tunnels = 0;
  private pendingDials = 0;
  private allowlist: Allowlist;
  private readonly live = new LiveTunnels();

  constructor(private readonly options: AgentOptions) {
    this.allowlist = options.allowlist;
    this.connections = options.addresses.map(
      (address) =>
        new ControlConnection({
          credential: options.credential,
          address,
          log: options.log.child({ part: 'link', server: address }),
          ...(options.keepaliveIntervalMs ? { keepaliveIntervalMs: options.keepaliveIntervalMs } : {}),
          ...(options.keepaliveTimeoutMs ? { keepaliveTimeoutMs: options.keepaliveTimeoutMs } : {}),
          proxy: options.proxy,
          hello: () => this.hello(),
          onDial: (request, link) => void this.handleDial(request, link),
        }),
    );
  }

  get activeTunnels(): number {
    return this.tunnels;
  }

  /** When the agent's earliest-expiring certificate expires, once it holds one. */
  get certificateNotAfter(): Date | undefined {
    const dates = this.connections.map((c) => c.link.certificate?.notAfter).filter((d): d is Date => d !== undefined);
    return dates.length > 0 ? new Date(Math.min(...dates.map((d) => d.getTime()))) : undefined;
  }

  /** Ready when it holds a valid certificate and is registered with every server it was given. */
  notReadyReason(): string | undefined {
    for (const connection of this.connections) {
      const reason = connection.notReadyReason();
      if (reason) return reason;
    }
    return undefined;
  }

  /** Which replica each configured server address is registered with. */
  registrations(): { address: string; replicaId: string | undefined; lastError?: string }[] {
    return this.connections.map((c) => {
      const lastError = c.lastError();
      return { address: c.address, replicaId: c.replicaId, ...(lastError ? { lastError } : {}) };
    });
  }

  async start(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.start()));
  }

  /**
   * Drains: ends the control streams at once (servers stop routing dials here), lets live tunnels
   * finish for up to `graceMs`, then closes the links; whatever is still open then is cut by the exit.
   */
  async drain(graceMs: number): Promise<void> {
    for (const connection of this.connections) connection.stopRegistration();
    const deadline = Date.now() + graceMs;
    if (this.tunnels > 0) this.options.log.info({ tunnels: this.tunnels, graceMs }, 'draining live tunnels');
    while (this.tunnels > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (this.tunnels > 0) this.options.log.warn({ tunnels: this.tunnels }, 'grace period over; closing live tunnels');
    for (const connection of this.connections) connection.stop();
  }

  /**
   * Replaces the allowlist: new dials follow it at once, live tunnels it no longer allows are reset
   * and audited, and the agent registers again so every server routes by the new summary. Returns how
   * many tunnels were closed.
   */
  applyAllowlist(allowlist: Allowlist): number {
    this.allowlist = allowlist;
    const closed = this.live.closeDisallowed(allowlist, this.options.self(), (tunnel, verdict) =>
      this.recordDeny(tunnel.client, tunnel.target, `allowlist reloaded; live tunnel closed: ${verdict.reason}`, verdict.rule),
    );
    for (const connection of this.connections) connection.reregister();
    return closed;
  }

  private recordDeny(client: string, target: string, reason: string, rule: number | undefined): void {
    countDeny('allowlist');
    this.options.audit.record({
      type: 'deny',
      layer: 'allowlist',
      identity: client,
      agent: this.options.credential.identity,
      target,
      reason,
      ...(rule === undefined ? {} : { rule: `allowlist entry ${rule}` }),
    });
  }

  private hello(): Buffer {
    const destinations = summarize(this.allowlist).map((entry) =>
      create(DestinationSchema, {
        host: entry.host,
        ports: entry.ports.map((range) => create(PortRangeSchema, { first: range.first, last: range.last })),
      }),
    );
    const hello = create(HelloSchema, { instanceId: this.instanceId, version: this.options.version, destinations });
    return encodeMessage(toBinary(AgentMessageSchema, create(AgentMessageSchema, { msg: { case: 'hello', value: hello } })));
  }

  /** Answers a dial on the replica that asked, through an Accept stream on that replica's link. */
  private async handleDial(request: DialRequest, link: ServerLink): Promise<void> {
    const target = formatHostPort(request.host, request.port);
    const client = request.clientIdentity;
    const timeoutMs = Math.min(Math.max(request.timeoutMs || this.options.dialTimeoutMs, 100), MAX_DIAL_TIMEOUT_MS);
    const dialStarted = Date.now();
    let outcome: CheckedDial | FailedDial;
    if (this.tunnels + this.pendingDials >= this.options.maxTunnels) {
      outcome = { ok: false, result: DialResult.ERROR, message: 'the agent is at its tunnel limit', reason: 'tunnel limit' };
    } else {
      this.pendingDials++;
      try {
        outcome = await checkAndDial(request.host, request.port, { allowlist: this.allowlist, self: this.options.self(), resolver: this.options.resolver }, timeoutMs);
        if (outcome.ok) {
          // The allowlist may have been reloaded while this dial was resolving or connecting.
          const verdict = stillAllowed(outcome.host, request.port, outcome.address, { allowlist: this.allowlist, self: this.options.self() });
          if (!verdict.allow) {
            outcome.socket.destroy();
            outcome = { ok: false, result: DialResult.DENIED, message: `${target} is not on the agent's allowlist`, reason: verdict.reason, rule: verdict.rule };
          }
        }
      } finally {
        this.pendingDials--;
      }
    }
    if (!outcome.ok) {
      if (outcome.result === DialResult.DENIED) {
        this.recordDeny(client, target, outcome.reason, outcome.rule);
      } else {
        this.options.audit.record({ type: 'dial.failed', client, agent: this.options.credential.identity, target, result: DialResult[outcome.result] ?? 'ERROR', reason: outcome.reason, dialMs: Date.now() - dialStarted });
      }
    }
    let stream: ClientHttp2Stream;
    try {
      stream = (await link.channel()).openStream(ACCEPT_METHOD);
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message, target }, 'cannot answer dial: server unreachable');
      if (outcome.ok) outcome.socket.destroy();
      return;
    }
    stream.on('error', () => undefined);
    if (!outcome.ok) {
      stream.end(openedFrame({ dialId: request.dialId, result: outcome.result, message: outcome.message }));
      stream.resume();
      return;
    }
    const { socket, remoteAddress } = outcome;
    const startedAt = Date.now();
    this.tunnels++;
    this.live.add({ id: request.dialId, client, target, host: outcome.host, port: request.port, address: outcome.address, socket, stream });
    this.options.audit.record({
      type: 'tunnel.opened',
      tunnelId: request.dialId,
      client,
      agent: this.options.credential.identity,
      instanceId: this.instanceId,
      target,
      remoteAddress,
      dialMs: startedAt - dialStarted,
    });
    stream.write(openedFrame({ dialId: request.dialId, result: DialResult.OK, remoteAddress }));
    spliceSocket(socket, stream, new MessageReader(MAX_FRAME_MESSAGE_BYTES), {
      idleTimeoutMs: this.options.idleTimeoutMs,
      onClose: (result) => {
        this.tunnels--;
        this.live.delete(request.dialId);
        this.options.audit.record({
          type: 'tunnel.closed',
          tunnelId: request.dialId,
          client,
          agent: this.options.credential.identity,
          target,
          remoteAddress,
          bytesUp: result.bytesReceived,
          bytesDown: result.bytesSent,
          durationMs: Date.now() - startedAt,
          reason: result.detail ? `${result.reason}: ${result.detail}` : result.reason,
        });
      },
    });
  }
}
