/**
 * A userspace link with a fixed one-way delay: every chunk read on one side is written on the other
 * `delayMs` later. Each direction holds at most `capBytes` in flight (the most a TCP sender keeps
 * unacknowledged: the kernel's largest send buffer), so a direct TCP stream through it behaves like
 * one over a real long link rather than one with unbounded buffering in the middle.
 *
 * Usage: node delay-line.js TARGET_PORT DELAY_MS CAP_BYTES — prints its own port on stdout.
 */
import net from 'node:net';

const [targetPort, delayMs, capBytes] = process.argv.slice(2).map(Number) as [number, number, number];

function oneWay(from: net.Socket, to: net.Socket): void {
  const queue: { due: number; chunk: Buffer | null }[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  let waitingDrain = false;

  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.due <= now + 0.5) {
      const { chunk } = queue.shift()!;
      if (chunk === null) {
        to.end();
        continue;
      }
      queued -= chunk.length;
      if (queued <= capBytes && from.isPaused()) from.resume();
      if (!to.write(chunk)) {
        waitingDrain = true;
        to.once('drain', () => {
          waitingDrain = false;
          schedule();
        });
        return;
      }
    }
    schedule();
  };
  const schedule = (): void => {
    if (timer || waitingDrain || queue.length === 0) return;
    timer = setTimeout(flush, Math.max(0, queue[0]!.due - performance.now()));
  };
  from.on('data', (chunk: Buffer) => {
    queue.push({ due: performance.now() + delayMs, chunk });
    queued += chunk.length;
    if (queued > capBytes) from.pause();
    schedule();
  });
  from.on('end', () => {
    queue.push({ due: performance.now() + delayMs, chunk: null });
    schedule();
  });
}

const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (inbound) => {
  const outbound = net.connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true, noDelay: true });
  const kill = (): void => {
    inbound.destroy();
    outbound.destroy();
  };
  inbound.on('error', kill);
  outbound.on('error', kill);
  oneWay(inbound, outbound);
  oneWay(outbound, inbound);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
// The bench holds our stdin open: when it goes away, however it ended, so do we.
process.stdin.on('end', () => process.exit(0)).resume();
