/**
 * Checks in the background whether something (the server, for a client) can be reached, so /readyz
 * answers from the last result at once instead of dialling on every probe.
 */
export class ReachabilityProbe {
  private lastError: string | undefined = 'not checked yet';
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly check: () => Promise<unknown>,
    private readonly intervalMs = 5000,
    private readonly timeoutMs = 5000,
  ) {}

  start(): this {
    void this.run();
    this.timer = setInterval(() => void this.run(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Undefined when the last check succeeded, else why it failed. */
  notReadyReason(): string | undefined {
    return this.lastError;
  }

  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.check(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
      this.lastError = undefined;
    } catch (err) {
      this.lastError = `server unreachable: ${(err as Error).message}`;
    } finally {
      clearTimeout(timer);
      this.running = false;
    }
  }
}
