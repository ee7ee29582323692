import net, { type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP relay that can turn into a black hole: it keeps accepting and keeps every connection open, but
 * forwards nothing — the way a dead NAT or firewall looks to both ends. `heal()` drops the dead
 * connections and forwards new ones again.
 */
export class BlackholeRelay {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket | undefined]>();
  private holed = false;
  port = 0;

  constructor(private readonly upstreamPort: number) {}

  async start(): Promise<void> {
    this.server = net.createServer((downstream) => {
      downstream.on('error', () => undefined);
      if (this.holed) {
        const pair: [Socket, Socket | undefined] = [downstream, undefined];
        this.pairs.add(pair);
        downstream.on('data', () => undefined);
        return;
      }
      const upstream = net.connect({ port: this.upstreamPort, host: '127.0.0.1' });
      upstream.on('error', () => undefined);
      const pair: [Socket, Socket | undefined] = [downstream, upstream];
      this.pairs.add(pair);
      const forward = (from: Socket, to: Socket): void => {
        from.on('data', (chunk: Buffer) => {
          if (!this.holed) to.write(chunk);
        });
        from.on('close', () => {
          if (!this.holed) to.destroy();
          this.pairs.delete(pair);
        });
      };
      forward(downstream, upstream);
      forward(upstream, downstream);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops forwarding in both directions without closing anything. */
  blackhole(): void {
    this.holed = true;
  }

  /** Drops the connections that went dark and forwards new connections again. */
  heal(): void {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b?.destroy();
    }
    this.pairs.clear();
    this.holed = false;
  }

  async close(): Promise<void> {
    this.heal();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
