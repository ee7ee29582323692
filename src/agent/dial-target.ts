import net, { type Socket } from 'node:net';
import { DialResult } from '../protocol/frames.js';

export type DialOutcome =
  | { ok: true; socket: Socket; remoteAddress: string }
  | { ok: false; result: DialResult; message: string };

/** Opens a TCP connection to an address already checked against the allowlist. */
export function dialTarget(ip: string, port: number, timeoutMs: number): Promise<DialOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: ip, port, allowHalfOpen: true, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, result: DialResult.TIMEOUT, message: `connecting to port ${port} timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      const remote = net.isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
      resolve({ ok: true, socket, remoteAddress: remote });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const refused = err.code === 'ECONNREFUSED';
      resolve({
        ok: false,
        result: refused ? DialResult.REFUSED : DialResult.UNREACHABLE,
        message: refused ? `the target refused the connection on port ${port}` : `the target is unreachable (${err.code ?? 'error'})`,
      });
    });
  });
}
