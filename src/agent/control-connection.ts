import type { ClientHttp2Stream } from 'node:http2';
import { fromBinary } from '@bufbuild/protobuf';
import { Backoff } from '../identity/backoff.js';
import type { PartyCredential } from '../identity/obtain-certificate.js';
import { ServerLink } from '../identity/server-link.js';
import type { Logger } from '../log/logger.js';
import { ServerMessageSchema, type DialRequest, type ServerMessage } from '../protocol/gen/causeway/v1/tunnel_pb.js';
import type { GrpcChannel } from '../protocol/grpc-channel.js';
import type { EgressProxy } from '../protocol/http-connect.js';
import { MessageReader } from '../protocol/message-framing.js';

const REGISTER_METHOD = '/causeway.v1.Tunnel/Register';
const MAX_CONTROL_MESSAGE_BYTES = 1024 * 1024;

export interface ControlConnectionOptions {
  credential: PartyCredential;
  address: string;
  /** Bound to `server: address` by the agent, so lines here do not repeat it (a JSON key given twice). */
  log: Logger;
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
  /** The corporate HTTP proxy to reach the server through. */
  proxy?: EgressProxy | undefined;
  /** The encoded hello message sent first on every control stream. */
  hello: () => Buffer;
  /** A dial request arrived; answer it with an Accept stream on `link`. */
  onDial: (request: DialRequest, link: ServerLink) => void;
}

/**
 * One agent's registration with one server replica: a certificate and channel (ServerLink), and the
 * Register control stream on it, re-opened with capped, jittered backoff whenever it ends, and moved to
 * the new channel when the certificate rotates.
 */
export class ControlConnection {
  readonly link: ServerLink;
  private control: ClientHttp2Stream | undefined;
  private registeredWith: string | undefined;
  private stopped = false;
  private readonly backoff = new Backoff();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connectError: string | undefined;

  constructor(private readonly options: ControlConnectionOptions) {
    this.link = new ServerLink(options.credential, {
      address: options.address,
      log: options.log,
      ...(options.keepaliveIntervalMs ? { keepaliveIntervalMs: options.keepaliveIntervalMs } : {}),
      ...(options.keepaliveTimeoutMs ? { keepaliveTimeoutMs: options.keepaliveTimeoutMs } : {}),
      proxy: options.proxy,
    });
    this.link.on('rotated', (channel: GrpcChannel) => this.openControl(channel));
  }

  get address(): string {
    return this.options.address;
  }

  /** The replica this connection is registered with, or undefined while it is not. */
  get replicaId(): string | undefined {
    return this.registeredWith;
  }

  notReadyReason(): string | undefined {
    const reason = this.link.notReadyReason() ?? (this.registeredWith ? undefined : `not registered with ${this.options.address}`);
    const why = this.lastError();
    return reason && why ? `${reason}: ${why}` : reason;
  }

  /** Why the last attempt to reach the server failed, while it is not registered (proxy refusals included). */
  lastError(): string | undefined {
    if (this.registeredWith) return undefined;
    return this.link.lastCertificateError ?? this.connectError;
  }

  async start(): Promise<void> {
    await this.link.start();
    await this.connect();
  }

  /** Ends the control stream (the server stops routing dials here) and stops reconnecting. */
  stopRegistration(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.control?.close();
  }

  /** Registers again on the current channel (say, to advertise a reloaded allowlist); the newer stream replaces the older. */
  reregister(): void {
    if (this.stopped || this.control === undefined) return;
    this.link.channel().then(
      (channel) => this.openControl(channel),
      (err: unknown) => this.options.log.warn({ err: (err as Error).message }, 'cannot register again after a reload'),
    );
  }

  stop(): void {
    this.stopRegistration();
    this.link.stop();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    try {
      this.openControl(await this.link.channel());
      this.connectError = undefined;
    } catch (err) {
      this.connectError = (err as Error).message;
      this.options.log.warn({ err: this.connectError }, 'cannot reach the server');
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, this.backoff.next());
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
    const reader = new MessageReader(MAX_CONTROL_MESSAGE_BYTES);
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
      if (this.registeredWith) this.options.log.warn('control stream to the server closed; reconnecting');
      this.registeredWith = undefined;
      this.scheduleReconnect();
    });
    stream.write(this.options.hello());
  }

  private onServerMessage(message: ServerMessage, stream: ClientHttp2Stream): void {
    switch (message.msg.case) {
      case 'welcome':
        if (stream !== this.control) return;
        this.registeredWith = message.msg.value.replicaId || 'unknown';
        this.backoff.reset();
        this.options.log.info(
          { replica: message.msg.value.replicaId, replicas: message.msg.value.replicaCount },
          'registered with the server',
        );
        return;
      case 'dial':
        this.options.onDial(message.msg.value, this.link);
        return;
      case 'drain':
        this.options.log.info({ reason: message.msg.value.reason }, 'server asked to drain');
        return;
      default:
        return;
    }
  }
}
