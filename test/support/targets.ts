import { createHash, randomBytes } from 'node:crypto';
import https from 'node:https';
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import { createStandaloneCa } from '../../src/pki/standalone-ca.js';

/** A TCP listener on loopback that counts the connections it accepted. */
export async function listenTcp(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number; accepted: () => number; close: () => Promise<void> }> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Replies, after end of input, with the hex sha256 of everything it read, then closes. */
export function hashAfterEnd(socket: Socket): void {
  const hash = createHash('sha256');
  socket.on('data', (chunk: Buffer) => hash.update(chunk));
  socket.on('end', () => socket.end(hash.digest('hex')));
}

/** An HTTPS server for `names` with a certificate from its own CA; answers every request with `body`. */
export async function privateHttpsServer(names: string[], body: string): Promise<{ port: number; caPem: string; close: () => Promise<void> }> {
  const ca = await createStandaloneCa('Test Internal CA');
  const cert = await ca.issueServerCert(names, []);
  return { ...(await serveHttps(cert, body)), caPem: ca.certPem };
}

/** An HTTPS server on loopback with the given certificate; answers every request with `body`. */
export async function serveHttps(cert: { certPem: string; keyPem: string }, body: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Opens a raw CONNECT tunnel through an HTTP proxy; resolves with the socket once the proxy answered
 * 2xx, or rejects with the status line and body.
 */
export function connectThroughProxy(proxyPort: number, target: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port: proxyPort, host: '127.0.0.1', allowHalfOpen: true });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const statusLine = head.subarray(0, head.indexOf('\r\n')).toString();
      const rest = head.subarray(end + 4);
      if (/^HTTP\/1\.1 2\d\d/.test(statusLine)) {
        socket.pause();
        if (rest.length > 0) socket.unshift(rest);
        resolve(socket);
      } else {
        const chunks: Buffer[] = [rest];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('end', () => {
          socket.destroy();
          reject(new ProxyRefusal(statusLine, Buffer.concat(chunks).toString()));
        });
      }
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.once('connect', () => socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
  });
}

export class ProxyRefusal extends Error {
  constructor(
    readonly statusLine: string,
    readonly body: string,
  ) {
    super(`${statusLine}: ${body.trim()}`);
  }
}

/** Writes `total` random bytes in chunks, honouring backpressure; resolves with their sha256. */
export async function sendRandom(socket: Socket, total: number, chunkSize = 64 * 1024): Promise<string> {
  const hash = createHash('sha256');
  let sent = 0;
  while (sent < total) {
    const chunk = randomBytes(Math.min(chunkSize, total - sent));
    hash.update(chunk);
    sent += chunk.length;
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  return hash.digest('hex');
}

/** Reads until end of input; resolves with the sha256 and byte count of what arrived. */
export function hashUntilEnd(socket: Socket): Promise<{ sha256: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    socket.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    socket.once('end', () => resolve({ sha256: hash.digest('hex'), bytes }));
    socket.once('error', reject);
    socket.resume();
  });
}

/** A loopback port with nothing listening (bound once, then released), for "connection refused". */
export async function freeClosedPort(): Promise<number> {
  const { server, port, close } = await listenTcp(() => undefined);
  void server;
  await close();
  return port;
}
