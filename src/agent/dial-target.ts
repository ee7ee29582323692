import net, { type LookupFunction, type Socket } from 'node:net';
import { DialResult } from '../protocol/frames.js';

export type DialOutcome =
  | { ok: true; socket: Socket; remoteAddress: string }
  | { ok: false; result: DialResult; message: string };

/**
 * Opens a TCP connection to `ip`, an address already checked against the allowlist. The socket's
 * lookup is replaced by one that can only answer `ip`, so no name service is ever consulted between
 * the check and the connect.
 */
export function dialTarget(ip: string, port: number, timeoutMs: number): Promise<DialOutcome> {
  const family = net.isIP(ip);
  if (family === 0) {
    return Promise.resolve({ ok: false, result: DialResult.ERROR, message: 'internal error: not an IP address' });
  }
  const onlyChecked: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, [{ address: ip, family }]);
    else callback(null, ip, family);
  };
  return new Promise((resolve) => {
    const socket = net.connect({ host: ip, port, family, lookup: onlyChecked, autoSelectFamily: false, allowHalfOpen: true, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, result: DialResult.TIMEOUT, message: `connecting to port ${port} timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      const remote = family === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
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
