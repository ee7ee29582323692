import net, { type AddressInfo, type Server, type Socket } from 'node:net';

/** A TCP echo listener that records every connection it accepts. */
export interface RecordingListener {
  readonly host: string;
  readonly port: number;
  /** Remote addresses of the connections accepted so far. */
  readonly accepted: string[];
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0 = any) and echoes what it reads. */
export async function recordingListener(host: string, port = 0): Promise<RecordingListener> {
  const accepted: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = net.createServer((socket) => {
    accepted.push(`${socket.remoteAddress}:${socket.remotePort}`);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Two listeners on the same port, one on each host (e.g. 127.0.0.2 and 127.0.0.1), so a test can tell
 * which address a dial really reached. Retries when the port is taken on the second host.
 */
export async function listenerPair(first: string, second: string): Promise<[RecordingListener, RecordingListener]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const a = await recordingListener(first);
    try {
      return [a, await recordingListener(second, a.port)];
    } catch {
      await a.close();
    }
  }
  throw new Error(`no port free on both ${first} and ${second}`);
}
