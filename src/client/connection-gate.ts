/**
 * Counts live local connections against one cap shared by all the client's listeners, so the cap holds
 * however the connections arrive.
 */
export class ConnectionGate {
  private live = 0;

  constructor(readonly max: number) {}

  get active(): number {
    return this.live;
  }

  /** Takes a slot, or returns undefined when all are in use; the returned release is idempotent. */
  tryAcquire(): (() => void) | undefined {
    if (this.live >= this.max) return undefined;
    this.live++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.live--;
    };
  }
}
