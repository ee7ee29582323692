import net, { type Socket } from 'node:net';

/** Opens a raw TCP connection to the local proxy. */
export function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the peer sends until it closes (end or reset), and how it closed. */
export function readUntilClose(socket: Socket, timeoutMs = 30_000): Promise<{ data: Buffer; how: 'end' | 'reset' | 'timeout' }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (how: 'end' | 'reset' | 'timeout'): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), how });
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => done('end'));
    socket.on('error', () => done('reset'));
    socket.on('close', () => done('end'));
    socket.resume();
  });
}

/** Reads exactly `n` bytes (or rejects when the connection closes first). */
export function readExactly(socket: Socket, n: number, timeoutMs = 30_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`timed out waiting for ${n} bytes (got ${buffered.length})`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= n) finish();
    };
    const onClose = (): void => finish(new Error(`closed after ${buffered.length} of ${n} bytes: ${buffered.toString('hex')}`));
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onClose);
      socket.off('close', onClose);
      socket.pause();
      if (err) return reject(err);
      if (buffered.length > n) socket.unshift(buffered.subarray(n));
      resolve(buffered.subarray(0, n));
    };
    socket.on('data', onData);
    socket.once('end', onClose);
    socket.once('close', onClose);
    socket.resume();
  });
}

/** RFC 1928 request bytes for CONNECT to a domain name. */
export function socksConnectDomain(host: string, port: number): Buffer {
  const name = Buffer.from(host, 'latin1');
  const out = Buffer.alloc(7 + name.length);
  out.set([0x05, 0x01, 0x00, 0x03, name.length]);
  name.copy(out, 5);
  out.writeUInt16BE(port, 5 + name.length);
  return out;
}

/** Negotiates SOCKS5 (no auth) and CONNECT; resolves with the socket and the reply code. */
export async function socksConnect(proxyPort: number, request: Buffer): Promise<{ socket: Socket; reply: number }> {
  const socket = await dial(proxyPort);
  socket.write(Buffer.from([0x05, 0x01, 0x00]));
  const method = await readExactly(socket, 2);
  if (method[1] !== 0x00) throw new Error(`proxy chose method ${method[1]}`);
  socket.write(request);
  const reply = await readExactly(socket, 10);
  return { socket, reply: reply[1]! };
}

/** Writes `data` one byte per write, each flushed before the next. */
export async function writeByteByByte(socket: Socket, data: Buffer): Promise<void> {
  for (const byte of data) {
    await new Promise<void>((resolve, reject) => socket.write(Buffer.from([byte]), (err) => (err ? reject(err) : resolve())));
  }
}
