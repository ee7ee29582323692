/**
 * The default cap keeps a party's return within a few seconds of a server coming back, however long
 * it was away.
 */
export const DEFAULT_BACKOFF_CAP_MS = 4_000;

/**
 * Exponential backoff with full jitter (the delay is uniform in [0, min(cap, base·2^attempt)]), so
 * many parties that lost the same server do not return in lockstep.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 250,
    private readonly capMs = DEFAULT_BACKOFF_CAP_MS,
  ) {}

  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(Math.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
  }
}
