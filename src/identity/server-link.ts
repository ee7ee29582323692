import { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger.js';
import { GrpcChannel } from '../protocol/grpc-channel.js';
import type { EgressProxy } from '../protocol/http-connect.js';
import { Backoff } from './backoff.js';
import { obtainCertificate, type HeldCertificate, type PartyCredential } from './obtain-certificate.js';

/** Longest wait between attempts to get a certificate while holding no valid one. */
export const NO_CERTIFICATE_RETRY_CAP_MS = 2000;

/** Default of {@link ServerLinkOptions.certificateWaitMs}. */
export const DEFAULT_CERTIFICATE_WAIT_MS = 8000;

export interface ServerLinkOptions {
  address: string;
  log: Logger;
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
  maxConcurrentStreams?: number;
  /** Longest a new stream waits for a certificate when the party holds no valid one. */
  certificateWaitMs?: number;
  /** The corporate HTTP proxy to reach the server through, for certificates and streams alike. */
  proxy?: EgressProxy | undefined;
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
  private lastError: string | undefined;

  constructor(
    private readonly credential: PartyCredential,
    private readonly options: ServerLinkOptions,
  ) {
    super();
  }

  get certificate(): HeldCertificate | undefined {
    return this.held;
  }

  /** Why the last attempt to get a certificate failed, while it keeps failing. */
  get lastCertificateError(): string | undefined {
    return this.lastError;
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
   * The channel for new streams: the current one if it is alive, else a new one (renewing an expired
   * certificate first). Waits at most `certificateWaitMs` for a certificate, so a caller whose party
   * is refused one (disabled, outside its networks) gets an error rather than waiting forever.
   */
  async channel(): Promise<GrpcChannel> {
    if (this.stopped) throw new Error('link stopped');
    if (!this.held || this.held.notAfter.getTime() <= Date.now()) await this.renewWithin(this.options.certificateWaitMs ?? DEFAULT_CERTIFICATE_WAIT_MS);
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
      proxy: this.options.proxy,
      keepaliveIntervalMs: this.options.keepaliveIntervalMs ?? 15_000,
      keepaliveTimeoutMs: this.options.keepaliveTimeoutMs ?? 10_000,
      maxConcurrentStreams: this.options.maxConcurrentStreams ?? 10_000,
    });
  }

  private async renewWithin(waitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no valid certificate (${this.lastError ?? 'still trying'})`)), waitMs);
    });
    try {
      await Promise.race([this.renew(), gaveUp]);
    } finally {
      clearTimeout(timer);
    }
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
        }, this.options.proxy);
        this.backoff.reset();
        this.lastError = undefined;
        this.install(held);
        return held;
      } catch (err) {
        // Without a valid certificate the party is down, so it retries often enough to return within
        // seconds of the server; with one it may back off further.
        const delay = Math.min(this.backoff.next(), this.notReadyReason() ? NO_CERTIFICATE_RETRY_CAP_MS : Number.POSITIVE_INFINITY);
        this.lastError = (err as Error).message;
        this.options.log.warn({ err: this.lastError, retryInMs: delay }, 'could not obtain a certificate');
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
