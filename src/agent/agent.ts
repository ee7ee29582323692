import { randomUUID } from 'node:crypto';
import type { ClientHttp2Stream } from 'node:http2';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { AuditLog } from '../audit/audit-log.js';
import { Backoff } from '../identity/backoff.js';
import type { PartyCredential } from '../identity/obtain-certificate.js';
import { ServerLink } from '../identity/server-link.js';
import type { Logger } from '../log/logger.js';
import { decideAddress, decideName, summarize, type Allowlist } from '../policy/allowlist.js';
import { DialResult, openedFrame } from '../protocol/frames.js';
import {
  AgentMessageSchema,
  DestinationSchema,
  HelloSchema,
  PortRangeSchema,
  ServerMessageSchema,
  type DialRequest,
  type ServerMessage,
} from '../protocol/gen/causeway/v1/tunnel_pb.js';
import type { GrpcChannel } from '../protocol/grpc-channel.js';
import { encodeMessage, MessageReader } from '../protocol/message-framing.js';
import { spliceSocket } from '../protocol/tunnel-endpoint.js';
import { dialTarget, type DialOutcome } from './dial-target.js';
import { resolveAll } from './resolve.js';

const REGISTER_METHOD = '/causeway.v1.Tunnel/Register';
const ACCEPT_METHOD = '/causeway.v1.Tunnel/Accept';
const MAX_FRAME_MESSAGE_BYTES = 1024 * 1024;
const MAX_DIAL_TIMEOUT_MS = 60_000;

export interface AgentOptions {
  credential: PartyCredential;
  address: string;
  allowlist: Allowlist;
  hosts: Readonly<Record<string, string>>;
  dialTimeoutMs: number;
  maxTunnels: number;
  idleTimeoutMs: number;
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
  private readonly link: ServerLink;
  private control: ClientHttp2Stream | undefined;
  private registered = false;
  private stopped = false;
  private tunnels = 0;
  private pendingDials = 0;
  private readonly backoff = new Backoff();
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: AgentOptions) {
    this.link = new ServerLink(options.credential, { address: options.address, log: options.log.child({ part: 'link' }) });
    this.link.on('rotated', (channel: GrpcChannel) => this.openControl(channel));
  }

  get activeTunnels(): number {
    return this.tunnels;
  }

  /** When the agent's current certificate expires, once it holds one. */
  get certificateNotAfter(): Date | undefined {
    return this.link.certificate?.notAfter;
  }

  notReadyReason(): string | undefined {
    return this.link.notReadyReason() ?? (this.registered ? undefined : 'not registered with the server');
  }

  async start(): Promise<void> {
    await this.link.start();
    await this.connectControl();
  }

  /** Stops taking dials; live tunnels keep running until they end or the process exits. */
  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.control?.close();
    this.link.stop();
  }

  private async connectControl(): Promise<void> {
    if (this.stopped) return;
    try {
      this.openControl(await this.link.channel());
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'cannot reach the server');
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = this.backoff.next();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connectControl();
    }, delay);
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

  /** Opens a control stream on `channel`; a newer one (after rotation) replaces the older at the server. */
  private openControl(channel: GrpcChannel): void {
    if (this.stopped) return;
    let stream: ClientHttp2Stream;
    try {
      stream = channel.openStream(REGISTER_METHOD);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.control = stream;
    const reader = new MessageReader(MAX_FRAME_MESSAGE_BYTES);
    stream.on('error', () => undefined);
    stream.on('data', (chunk: Buffer) => {
      try {
        for (const bytes of reader.push(chunk)) this.onServerMessage(fromBinary(ServerMessageSchema, bytes), stream);
      } catch (err) {
        this.options.log.warn({ err: (err as Error).message }, 'malformed control message; reconnecting');
        stream.close();
      }
    });
    stream.on('close', () => {
      if (this.control !== stream) return;
      this.control = undefined;
      if (this.registered) this.options.log.warn('control stream to the server closed; reconnecting');
      this.registered = false;
      this.scheduleReconnect();
    });
    stream.write(this.hello());
  }

  private onServerMessage(message: ServerMessage, stream: ClientHttp2Stream): void {
    switch (message.msg.case) {
      case 'welcome':
        if (stream !== this.control) return;
        this.registered = true;
        this.backoff.reset();
        this.options.log.info({ instanceId: this.instanceId, replica: message.msg.value.replicaId }, 'registered with the server');
        return;
      case 'dial':
        void this.handleDial(message.msg.value);
        return;
      case 'drain':
        this.options.log.info({ reason: message.msg.value.reason }, 'server asked to drain');
        return;
      default:
        return;
    }
  }

  private async handleDial(request: DialRequest): Promise<void> {
    const target = `${request.host}:${request.port}`;
    const client = request.clientIdentity;
    const timeoutMs = Math.min(Math.max(request.timeoutMs || this.options.dialTimeoutMs, 100), MAX_DIAL_TIMEOUT_MS);
    const dialStarted = Date.now();
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
          ? { type: 'deny', layer: 'allowlist', rule: 'allowlist:agent', identity: client, target, reason: outcome.message }
          : { type: 'dial.failed', client, agent: this.options.credential.identity, target, result: DialResult[outcome.result] ?? 'ERROR', reason: outcome.message, dialMs: Date.now() - dialStarted },
      );
    }
    let stream: ClientHttp2Stream;
    try {
      stream = (await this.link.channel()).openStream(ACCEPT_METHOD);
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
      dialMs: startedAt - dialStarted,
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
          remoteAddress,
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
