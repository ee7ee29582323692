/**
 * Remembers token ids until their tokens expire, so each token is accepted once. With several server
 * replicas the cache lives in their shared store, so a token used at one replica is refused at another.
 */
export interface ReplayCache {
  /**
   * Records `jti` as used until `expiresAt`. Returns `false` when it was already recorded and has
   * not expired at `now`, or when the cache cannot record it. A shared cache whose database cannot be
   * reached rejects (and the token is refused).
   */
  claim(jti: string, expiresAt: Date, now: Date): boolean | Promise<boolean>;
}

/** Default capacity of {@link MemoryReplayCache}. */
export const DEFAULT_REPLAY_CACHE_ENTRIES = 100_000;

/**
 * An in-process {@link ReplayCache} for a single server replica. Expired entries are pruned as new
 * ones arrive. When full of unexpired entries it refuses new token ids rather than forgetting
 * live ones, which would allow a replay.
 */
export class MemoryReplayCache implements ReplayCache {
  readonly #maxEntries: number;
  readonly #expiries = new Map<string, number>();
  #nextSweepAt = 0;

  constructor(maxEntries: number = DEFAULT_REPLAY_CACHE_ENTRIES) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError('maxEntries must be a positive integer');
    }
    this.#maxEntries = maxEntries;
  }

  /** Number of token ids currently remembered, expired or not. */
  get size(): number {
    return this.#expiries.size;
  }

  claim(jti: string, expiresAt: Date, now: Date): boolean {
    const nowMs = now.getTime();
    this.#pruneOldest(nowMs);
    const knownExpiry = this.#expiries.get(jti);
    if (knownExpiry !== undefined && knownExpiry > nowMs) {
      return false;
    }
    if (knownExpiry === undefined && this.#expiries.size >= this.#maxEntries) {
      this.#sweep(nowMs);
      if (this.#expiries.size >= this.#maxEntries) {
        return false;
      }
    }
    this.#expiries.delete(jti);
    this.#expiries.set(jti, expiresAt.getTime());
    this.#nextSweepAt = Math.min(this.#nextSweepAt, expiresAt.getTime());
    return true;
  }

  #pruneOldest(nowMs: number): void {
    for (const [jti, expiry] of this.#expiries) {
      if (expiry > nowMs) {
        return;
      }
      this.#expiries.delete(jti);
    }
  }

  #sweep(nowMs: number): void {
    if (nowMs < this.#nextSweepAt) {
      return;
    }
    let earliest = Number.POSITIVE_INFINITY;
    for (const [jti, expiry] of this.#expiries) {
      if (expiry <= nowMs) {
        this.#expiries.delete(jti);
      } else {
        earliest = Math.min(earliest, expiry);
      }
    }
    this.#nextSweepAt = earliest;
  }
}
