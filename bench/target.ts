/**
 * The benchmark's far end, run as its own process so its CPU is counted apart from the load generator.
 * The first byte of each connection picks a mode:
 *   'U'          upload: read to EOF, then answer the byte count as 8 bytes and end;
 *   'D' + u64be  download: write that many bytes (honouring backpressure), then end;
 *   'E'          echo: every byte back, half-close passed on.
 * Prints its port on stdout once listening.
 */
import net from 'node:net';

const BLOCK = Buffer.alloc(64 * 1024, 0x5a);

function download(socket: net.Socket, total: number): void {
  let left = total;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, BLOCK.length);
      left -= n;
      if (!socket.write(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n))) {
        socket.once('drain', pump);
        return;
      }
    }
    socket.end();
  };
  pump();
}

function handle(socket: net.Socket): void {
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  let head: Buffer = Buffer.alloc(0);
  const onHead = (chunk: Buffer): void => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const mode = String.fromCharCode(head[0]!);
    if (mode === 'U') {
      socket.off('data', onHead);
      let count = head.length - 1;
      socket.on('data', (c: Buffer) => {
        count += c.length;
      });
      socket.on('end', () => {
        const answer = Buffer.alloc(8);
        answer.writeBigUInt64BE(BigInt(count));
        socket.end(answer);
      });
    } else if (mode === 'E') {
      socket.off('data', onHead);
      if (head.length > 1) socket.write(head.subarray(1));
      socket.pipe(socket);
    } else if (mode === 'D') {
      if (head.length < 9) return;
      socket.off('data', onHead);
      socket.on('data', () => undefined);
      download(socket, Number(head.readBigUInt64BE(1)));
    } else {
      socket.destroy();
    }
  };
  socket.on('data', onHead);
}

const server = net.createServer({ allowHalfOpen: true, noDelay: true }, handle);
server.maxConnections = 50_000;
server.listen(0, '127.0.0.1', 4096, () => {
  process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
// The bench holds our stdin open: when it goes away, however it ended, so do we.
process.stdin.on('end', () => process.exit(0)).resume();
