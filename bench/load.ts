/** The load generator: each measurement drives connections made by a scenario's `dial`. */
import { once } from 'node:events';
import type { Socket } from 'node:net';

/** Opens a connection through a scenario; the socket may come back paused (callers resume it). */
export type Dial = () => Promise<Socket>;

const BLOCK = Buffer.alloc(64 * 1024, 0xa5);

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}

/** Sends `bytes` to the sink and waits for its byte count; returns MB/s (10^6 bytes per second). */
export async function upload(dial: Dial, bytes: number, timeoutMs: number): Promise<number> {
  const socket = await dial();
  try {
    return await withTimeout(
      new Promise<number>((resolve, reject) => {
        const started = performance.now();
        let answer: Buffer = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          answer = Buffer.concat([answer, chunk]);
        });
        socket.on('end', () => {
          const seconds = (performance.now() - started) / 1000;
          if (answer.length !== 8 || Number(answer.readBigUInt64BE()) !== bytes) {
            reject(new Error(`sink counted ${answer.length === 8 ? answer.readBigUInt64BE() : '?'} of ${bytes} bytes`));
          } else resolve(bytes / seconds / 1e6);
        });
        socket.on('error', reject);
        socket.resume();
        socket.write('U');
        let left = bytes;
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
      }),
      timeoutMs,
      'upload',
    );
  } finally {
    socket.destroy();
  }
}

function downloadRequest(bytes: number): Buffer {
  const request = Buffer.alloc(9);
  request.write('D');
  request.writeBigUInt64BE(BigInt(bytes), 1);
  return request;
}

/** Asks the sink for `bytes` and reads them all; returns MB/s. */
export async function download(dial: Dial, bytes: number, timeoutMs: number): Promise<number> {
  const socket = await dial();
  try {
    return await withTimeout(
      new Promise<number>((resolve, reject) => {
        const started = performance.now();
        let got = 0;
        socket.on('data', (chunk: Buffer) => {
          got += chunk.length;
        });
        socket.on('end', () => {
          const seconds = (performance.now() - started) / 1000;
          if (got !== bytes) reject(new Error(`received ${got} of ${bytes} bytes`));
          else resolve(bytes / seconds / 1e6);
        });
        socket.on('error', reject);
        socket.resume();
        socket.write(downloadRequest(bytes));
      }),
      timeoutMs,
      'download',
    );
  } finally {
    socket.destroy();
  }
}

/** 1-byte ping-pong over one echo connection; returns p50 and p99 in microseconds. */
export async function roundTrips(dial: Dial, count: number, timeoutMs: number): Promise<{ p50: number; p99: number }> {
  const socket = await dial();
  socket.setNoDelay(true);
  try {
    const samples = await withTimeout(
      new Promise<number[]>((resolve, reject) => {
        const out: number[] = [];
        const ping = Buffer.from('x');
        let sent = 0;
        socket.on('error', reject);
        socket.on('data', () => {
          out.push((performance.now() - sent) * 1000);
          if (out.length === count) return resolve(out);
          sent = performance.now();
          socket.write(ping);
        });
        socket.resume();
        socket.write('E');
        sent = performance.now();
        socket.write(ping);
      }),
      timeoutMs,
      'round trips',
    );
    samples.sort((a, b) => a - b);
    return { p50: samples[Math.floor(samples.length * 0.5)]!, p99: samples[Math.floor(samples.length * 0.99)]! };
  } finally {
    socket.destroy();
  }
}

/** Opens an echo tunnel and proves it carries a byte both ways. */
async function echoTunnel(dial: Dial): Promise<Socket> {
  const socket = await dial();
  socket.write('Ex');
  const received = once(socket, 'data');
  socket.resume();
  const [chunk] = (await received) as [Buffer];
  if (chunk[0] !== 0x78) throw new Error('echo tunnel answered the wrong byte');
  return socket;
}

/**
 * New tunnels per second with `inFlight` at a time: each one is opened, carries one byte each way and
 * is closed. Returns tunnels per second over `total` tunnels.
 */
export async function tunnelRate(dial: Dial, total: number, inFlight: number, timeoutMs: number): Promise<number> {
  let started = 0;
  const began = performance.now();
  const worker = async (): Promise<void> => {
    while (started < total) {
      started++;
      const socket = await echoTunnel(dial);
      socket.end();
      socket.destroySoon();
    }
  };
  await withTimeout(Promise.all(Array.from({ length: inFlight }, worker)), timeoutMs, 'tunnel rate');
  return total / ((performance.now() - began) / 1000);
}

/** Opens `count` idle echo tunnels (32 at a time) and returns them; the caller closes them. */
export async function openIdle(dial: Dial, count: number, timeoutMs: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  let opened = 0;
  const worker = async (): Promise<void> => {
    while (opened < count) {
      opened++;
      const socket = await echoTunnel(dial);
      socket.on('error', () => undefined);
      sockets.push(socket);
    }
  };
  try {
    await withTimeout(Promise.all(Array.from({ length: 32 }, worker)), timeoutMs, 'opening idle tunnels');
  } catch (err) {
    for (const s of sockets) s.destroy();
    throw err;
  }
  return sockets;
}

/**
 * One tunnel's download throughput beside `stalled` tunnels whose readers stopped reading while the
 * sink keeps sending, as a ratio of the same download alone.
 */
export async function neighbourRatio(dial: Dial, bytes: number, stalled: number, timeoutMs: number): Promise<number> {
  const solo = await download(dial, bytes, timeoutMs);
  const stuck: Socket[] = [];
  try {
    for (let i = 0; i < stalled; i++) {
      const socket = await dial();
      socket.on('error', () => undefined);
      socket.write(downloadRequest(Number.MAX_SAFE_INTEGER));
      socket.pause();
      stuck.push(socket);
    }
    // Let the stalled tunnels fill every buffer and window on their way.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const beside = await download(dial, bytes, timeoutMs);
    return beside / solo;
  } finally {
    for (const s of stuck) s.destroy();
  }
}
