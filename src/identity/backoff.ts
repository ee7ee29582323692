/**
 * Exponential backoff with full jitter (the delay is uniform in [0, min(cap, base·2^attempt)]), so
 * many parties that lost the same server do not return in lockstep.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 250,
    private readonly capMs = 15_000,
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
