/** One sample of the dashboard's plot. */
export interface SeriesPoint {
  /** Unix ms. */
  t: number;
  /** Bytes per second relayed since the previous sample (both directions). */
  bytesPerSecond: number;
  /** Tunnels open at the sample. */
  tunnels: number;
}

/**
 * A fixed-size ring of samples (by default 15 minutes at 5 s), taken in the background from a running
 * byte total and the live tunnel count.
 */
export class ThroughputSeries {
  private readonly points: SeriesPoint[] = [];
  private readonly capacity: number;
  private lastBytes: number | undefined;
  private lastTime = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: () => { bytesTotal: number; tunnels: number },
    private readonly intervalMs = 5000,
    spanMs = 15 * 60_000,
  ) {
    this.capacity = Math.max(2, Math.ceil(spanMs / intervalMs));
  }

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  sample(now = Date.now()): void {
    const { bytesTotal, tunnels } = this.read();
    const elapsed = (now - this.lastTime) / 1000;
    const rate = this.lastBytes === undefined || elapsed <= 0 ? 0 : Math.max(0, bytesTotal - this.lastBytes) / elapsed;
    this.lastBytes = bytesTotal;
    this.lastTime = now;
    this.points.push({ t: now, bytesPerSecond: Math.round(rate), tunnels });
    if (this.points.length > this.capacity) this.points.shift();
  }

  list(): SeriesPoint[] {
    return [...this.points];
  }
}
