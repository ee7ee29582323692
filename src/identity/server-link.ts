import { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger.js';
import { GrpcChannel } from '../protocol/grpc-channel.js';
import { GrpcError, GrpcStatus } from '../protocol/grpc-status.js';
import { Backoff } from './backoff.js';
import { obtainCertificate, type HeldCertificate, type PartyCredential } from './obtain-certificate.js';

export interface ServerLinkOptions {
  address: string;
  log: Logger;
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
  maxConcurrentStreams?: number;
}

/**
 * A party's link to the server: holds a certificate, refreshes it at about two thirds of its life (with
 * jitter), and keeps an HTTP/2 channel made with the current certificate. On rotation new streams use a
 * new channel while the old one finishes its streams and closes. Emits `rotated` with the new channel.
 */
export class ServerLink extends EventEmitter {
  private held: HeldCertificate | undefined;
  private current: GrpcChannel | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private obtaining: Promise<HeldCertificate> | undefined;
  private readonly backoff = new Backoff();

  constructor(
    private readonly credential: PartyCredential,
    private readonly options: ServerLinkOptions,
  ) {
    super();
  }

  get certificate(): HeldCertificate | undefined {
    return this.held;
  }

  /** Why the link is not usable, or undefined when it holds a valid certificate. */
  notReadyReason(now = Date.now()): string | undefined {
    if (!this.held) return 'no certificate yet';
    if (this.held.notAfter.getTime() <= now) return 'certificate expired';
    if (this.current?.isClosed) return 'not connected to the server';
    return undefined;
  }

  /** Gets the first certificate, retrying with backoff until it succeeds or the link stops. */
  async start(): Promise<void> {
    await this.renew();
  }

  /**
   * The channel for new streams: the current one if it is alive, else a new one. Without a valid
   * certificate it fails at once (UNAVAILABLE) while a renewal runs in the background, so callers answer
   * their peers instead of waiting on a server that may be away for long.
   */
  async channel(): Promise<GrpcChannel> {
    if (this.stopped) throw new GrpcError(GrpcStatus.UNAVAILABLE, 'shutting down');
    if (!this.held || this.held.notAfter.getTime() <= Date.now()) {
      this.renew().catch(() => undefined);
      throw new GrpcError(
        GrpcStatus.UNAVAILABLE,
        this.held ? 'certificate expired; renewing with the tunnel server' : 'no certificate yet: the tunnel server has not been reached',
      );
    }
    if (!this.current || this.current.isClosed) this.current = this.makeChannel(this.held!);
    await this.current.connected();
    return this.current;
  }

  stop(): void {
    this.stopped = true;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.current?.close();
  }

  private makeChannel(held: HeldCertificate): GrpcChannel {
    return new GrpcChannel({
      address: this.options.address,
      serverName: this.credential.serverName,
      ca: held.trustPem,
      cert: held.chainPem,
      key: held.keyPem,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000,
      keepaliveIntervalMs: this.options.keepaliveIntervalMs ?? 15_000,
      keepaliveTimeoutMs: this.options.keepaliveTimeoutMs ?? 10_000,
      maxConcurrentStreams: this.options.maxConcurrentStreams ?? 10_000,
    });
  }

  private renew(): Promise<HeldCertificate> {
    this.obtaining ??= this.obtainWithRetry().finally(() => {
      this.obtaining = undefined;
    });
    return this.obtaining;
  }

  private async obtainWithRetry(): Promise<HeldCertificate> {
    for (;;) {
      if (this.stopped) throw new Error('link stopped');
      try {
        const held = await obtainCertificate(this.credential, this.options.address, {
          connectMs: this.options.connectTimeoutMs ?? 10_000,
          callMs: 15_000,
        });
        this.backoff.reset();
        this.install(held);
        return held;
      } catch (err) {
        const delay = this.backoff.next();
        this.options.log.warn({ err: (err as Error).message, retryInMs: delay }, 'could not obtain a certificate');
        this.emit('certificate-error', err);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private install(held: HeldCertificate): void {
    const previous = this.current;
    this.held = held;
    this.current = this.makeChannel(held);
    this.current.connected().catch(() => undefined);
    this.options.log.info({ serial: held.serialHex, notAfter: held.notAfter, identity: held.identity }, 'certificate installed');
    if (previous) previous.close();
    this.scheduleRefresh(held);
    if (previous) this.emit('rotated', this.current);
  }

  private scheduleRefresh(held: HeldCertificate): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    const now = Date.now();
    const base = held.refreshAt.getTime() - now;
    const life = held.notAfter.getTime() - now;
    const jitter = (Math.random() - 0.5) * 0.1 * life;
    const delay = Math.max(250, Math.min(base + jitter, life - 250));
    this.refreshTimer = setTimeout(() => {
      this.renew().catch(() => undefined);
    }, delay);
    this.refreshTimer.unref();
  }
}
