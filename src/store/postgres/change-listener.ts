import pg from 'pg';
import type { Logger } from '../../log/logger.js';
import { safeMessage } from './pool.js';

/** The channel identity writes notify on, in the same transaction (delivered at commit). */
export const IDENTITY_CHANNEL = 'causeway_identities';
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 2000;
const CONNECT_TIMEOUT_MS = 2000;

/**
 * Keeps one connection that LISTENs for identity changes committed by any replica or admin command,
 * and calls `onChange` for each, so every replica re-checks its live tunnels at once rather than on
 * its next poll. When the connection is lost it reconnects (backoff 250 ms to 2 s) and calls
 * `onChange` once more, since notifications sent while it was away are gone; the server's 1 s poll
 * covers that gap either way.
 */
export class ChangeListener {
  #client: pg.Client | undefined;
  #timer: NodeJS.Timeout | undefined;
  #retryMs = RETRY_MIN_MS;
  #closed = false;
  #connected = false;

  constructor(
    private readonly connectionString: string,
    private readonly url: string,
    private readonly onChange: () => void,
    private readonly log?: Logger | undefined,
  ) {}

  /** Whether the LISTEN connection is up now. */
  get listening(): boolean {
    return this.#connected;
  }

  start(): this {
    void this.#connect();
    return this;
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: 'causeway-listen' });
    this.#client = client;
    let lost = false;
    const onLost = (err?: Error): void => {
      if (lost) return;
      lost = true;
      const wasConnected = this.#connected;
      this.#connected = false;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.#closed) return;
      if (wasConnected) this.log?.warn({ err: err ? safeMessage(err, this.url) : 'connection ended' }, 'change notifications lost; polling until they return');
      this.#schedule();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', () => this.onChange());
    try {
      await client.connect();
      await client.query(`LISTEN ${IDENTITY_CHANNEL}`);
    } catch (err) {
      onLost(err as Error);
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#connected = true;
    this.#retryMs = RETRY_MIN_MS;
    this.log?.debug('listening for identity changes');
    // Whatever changed while we were not listening.
    this.onChange();
  }

  #schedule(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#connect();
    }, this.#retryMs);
    this.#timer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#connected = false;
    await this.#client?.end().catch(() => undefined);
  }
}
