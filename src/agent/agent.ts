import { randomUUID } from 'node:crypto';
import type { ClientHttp2Stream } from 'node:http2';
import { create, toBinary } from '@bufbuild/protobuf';
import type { AuditLog } from '../audit/audit-log.js';
import type { PartyCredential } from '../identity/obtain-certificate.js';
import type { ServerLink } from '../identity/server-link.js';
import { ControlConnection } from './control-connection.js';
import type { Logger } from '../log/logger.js';
import { decideAddress, decideName, summarize, type Allowlist } from '../policy/allowlist.js';
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
import { dialTarget, type DialOutcome } from './dial-target.js';
import { resolveAll } from './resolve.js';

const ACCEPT_METHOD = '/causeway.v1.Tunnel/Accept';
const MAX_FRAME_MESSAGE_BYTES = 1024 * 1024;
const MAX_DIAL_TIMEOUT_MS = 60_000;

export interface AgentOptions {
  credential: PartyCredential;
  /** One address per server replica (or one load-balancer address for a single server). */
  addresses: readonly string[];
  allowlist: Allowlist;
  hosts: Readonly<Record<string, string>>;
  dialTimeoutMs: number;
  maxTunnels: number;
  idleTimeoutMs: number;
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
  version: string;
  log: Logger;
  audit: AuditLog;
}

/**
 * The agent: holds a control stream to the server, and for each dial request checks its own allowlist
 * (the customer's last word), resolves the name once, dials the checked address and splices it to an
 * Accept stream.
 */
export class Agent {
  readonly instanceId = randomUUID();
  private readonly connections: ControlConnection[];
  private tunnels = 0;
  private pendingDials = 0;

  constructor(private readonly options: AgentOptions) {
    this.connections = options.addresses.map(
      (address) =>
        new ControlConnection({
          credential: options.credential,
          address,
          log: options.log.child({ part: 'link', server: address }),
          ...(options.keepaliveIntervalMs ? { keepaliveIntervalMs: options.keepaliveIntervalMs } : {}),
          ...(options.keepaliveTimeoutMs ? { keepaliveTimeoutMs: options.keepaliveTimeoutMs } : {}),
          hello: () => this.hello(),
          onDial: (request, link) => void this.handleDial(request, link),
        }),
    );
  }

  get activeTunnels(): number {
    return this.tunnels;
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
  registrations(): { address: string; replicaId: string | undefined }[] {
    return this.connections.map((c) => ({ address: c.address, replicaId: c.replicaId }));
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

  private hello(): Buffer {
    const destinations = summarize(this.options.allowlist).map((entry) =>
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
    const target = `${request.host}:${request.port}`;
    const client = request.clientIdentity;
    const timeoutMs = Math.min(Math.max(request.timeoutMs || this.options.dialTimeoutMs, 100), MAX_DIAL_TIMEOUT_MS);
    let outcome: DialOutcome;
    if (this.tunnels + this.pendingDials >= this.options.maxTunnels) {
      outcome = { ok: false, result: DialResult.ERROR, message: 'the agent is at its tunnel limit' };
    } else {
      this.pendingDials++;
      try {
        outcome = await this.checkAndDial(request, timeoutMs);
      } finally {
        this.pendingDials--;
      }
    }
    if (!outcome.ok) {
      const denied = outcome.result === DialResult.DENIED;
      this.options.audit.record(
        denied
          ? { type: 'deny', layer: 'allowlist', identity: client, target, reason: outcome.message }
          : { type: 'dial.failed', client, agent: this.options.credential.identity, target, result: DialResult[outcome.result] ?? 'ERROR', reason: outcome.message },
      );
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
    this.options.audit.record({
      type: 'tunnel.opened',
      tunnelId: request.dialId,
      client,
      agent: this.options.credential.identity,
      instanceId: this.instanceId,
      target,
      remoteAddress,
    });
    stream.write(openedFrame({ dialId: request.dialId, result: DialResult.OK, remoteAddress }));
    spliceSocket(socket, stream, new MessageReader(MAX_FRAME_MESSAGE_BYTES), {
      idleTimeoutMs: this.options.idleTimeoutMs,
      onClose: (result) => {
        this.tunnels--;
        this.options.audit.record({
          type: 'tunnel.closed',
          tunnelId: request.dialId,
          client,
          agent: this.options.credential.identity,
          target,
          bytesUp: result.bytesReceived,
          bytesDown: result.bytesSent,
          durationMs: Date.now() - startedAt,
          reason: result.detail ? `${result.reason}: ${result.detail}` : result.reason,
        });
      },
    });
  }

  /** The allowlist decides on the name, then on every address it resolves to; only a checked address is dialled. */
  private async checkAndDial(request: DialRequest, timeoutMs: number): Promise<DialOutcome> {
    const { host, port } = request;
    const byName = decideName(this.options.allowlist, host, port);
    if (!byName.allow) return { ok: false, result: DialResult.DENIED, message: `${host}:${port} is not on the agent's allowlist` };
    let addresses: string[];
    try {
      addresses = await resolveAll(host, { hosts: this.options.hosts });
    } catch {
      return { ok: false, result: DialResult.UNREACHABLE, message: `${host} could not be resolved by the agent` };
    }
    if (addresses.length === 0) return { ok: false, result: DialResult.UNREACHABLE, message: `${host} has no addresses` };
    for (const address of addresses) {
      const byAddress = decideAddress(this.options.allowlist, host, address, port);
      if (!byAddress.allow) {
        this.options.log.warn({ host, address, reason: byAddress.reason }, 'resolved address refused by the allowlist');
        return { ok: false, result: DialResult.DENIED, message: `${host}:${port} resolves to an address the agent may not dial` };
      }
    }
    return dialTarget(addresses[0]!, port, timeoutMs);
  }
}
