import net, { type Socket } from 'node:net';
import type { NoProxyEntry } from '../policy/no-proxy.js';

/** A corporate HTTP proxy that outbound connections go through with HTTP CONNECT. */
export interface EgressProxy {
  readonly host: string;
  readonly port: number;
  /** `http://host:port`, without credentials: the only form that may be logged or shown. */
  readonly display: string;
  /** Basic-auth credentials, when the proxy wants them. Never logged. */
  readonly username?: string;
  readonly password?: string;
  /** Destinations reached directly. */
  readonly noProxy: readonly NoProxyEntry[];
  /** Bound on the TCP connect to the proxy plus its answer to CONNECT. */
  readonly connectTimeoutMs: number;
  /** Where the setting came from (`HTTPS_PROXY`, `agent.yaml: proxy.url`), for messages. */
  readonly source: string;
}

/**
 * Stable codes of {@link ProxyError}:
 * - `ERR_PROXY_UNREACHABLE`: the TCP connection to the proxy failed;
 * - `ERR_PROXY_TIMEOUT`: no complete answer to CONNECT in time;
 * - `ERR_PROXY_AUTH`: 407 (or 401), the proxy wants (other) credentials;
 * - `ERR_PROXY_REFUSED`: any other non-2xx answer (403 for a port the proxy does not allow, 502…);
 * - `ERR_PROXY_BAD_RESPONSE`: not HTTP, a head over the size limit, or bytes before the TLS handshake.
 */
export type ProxyErrorCode = 'ERR_PROXY_UNREACHABLE' | 'ERR_PROXY_TIMEOUT' | 'ERR_PROXY_AUTH' | 'ERR_PROXY_REFUSED' | 'ERR_PROXY_BAD_RESPONSE';

/** A CONNECT through the egress proxy failed; the message names the proxy, never its credentials. */
export class ProxyError extends Error {
  override readonly name = 'ProxyError';
  constructor(
    readonly code: ProxyErrorCode,
    message: string,
    /** The HTTP status the proxy answered, when it answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Largest CONNECT answer head (status line and headers) read from a proxy. */
export const MAX_CONNECT_RESPONSE_BYTES = 16 * 1024;

const HEAD_END = '\r\n\r\n';
const STATUS_LINE = /^HTTP\/1\.[01] ([0-9]{3})(?: ([^\r\n]*))?$/;
const PROXY_AUTH_REQUIRED = 407;
/** Some proxies (tinyproxy among them) answer a CONNECT with wrong credentials with 401. */
const UNAUTHORIZED = 401;
const MAX_REASON_LENGTH = 80;

/**
 * Opens a TCP connection to `host:port` through `proxy` with HTTP CONNECT (Basic auth when it has
 * credentials) and resolves with the raw socket, ready for TLS. Bounded by the proxy's connect
 * timeout and {@link MAX_CONNECT_RESPONSE_BYTES}.
 *
 * @throws {@link ProxyError}
 */
export function connectThroughProxy(proxy: EgressProxy, host: string, port: number): Promise<Socket> {
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise<Socket>((resolve, reject) => {
    const socket = net.connect({ host: proxy.host, port: proxy.port });
    let received = Buffer.alloc(0);
    let done = false;
    let connected = false;
    const finish = (err: ProxyError | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('error', onError);
      socket.off('end', onEnd);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        resolve(socket);
      }
    };
    const timer = setTimeout(
      () => finish(new ProxyError('ERR_PROXY_TIMEOUT', `proxy ${proxy.display} did not answer CONNECT ${authority} within ${proxy.connectTimeoutMs} ms`)),
      proxy.connectTimeoutMs,
    );
    const onError = (err: NodeJS.ErrnoException): void => {
      const reason = err.code ?? err.message;
      finish(
        !connected
          ? new ProxyError('ERR_PROXY_UNREACHABLE', `cannot reach proxy ${proxy.display} (${reason}; from ${proxy.source})`)
          : new ProxyError('ERR_PROXY_BAD_RESPONSE', `proxy ${proxy.display} dropped the connection during CONNECT ${authority} (${reason})`),
      );
    };
    const onEnd = (): void => finish(new ProxyError('ERR_PROXY_BAD_RESPONSE', `proxy ${proxy.display} closed the connection before answering CONNECT ${authority}`));
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (!done && (chunk = socket.read() as Buffer | null) !== null) {
        received = Buffer.concat([received, chunk]);
        const end = received.indexOf(HEAD_END);
        if (end < 0) {
          if (received.length > MAX_CONNECT_RESPONSE_BYTES) {
            finish(new ProxyError('ERR_PROXY_BAD_RESPONSE', `proxy ${proxy.display} answered CONNECT with a head over ${MAX_CONNECT_RESPONSE_BYTES} bytes`));
          }
          continue;
        }
        if (end + HEAD_END.length > MAX_CONNECT_RESPONSE_BYTES) {
          finish(new ProxyError('ERR_PROXY_BAD_RESPONSE', `proxy ${proxy.display} answered CONNECT with a head over ${MAX_CONNECT_RESPONSE_BYTES} bytes`));
          return;
        }
        finish(judgeAnswer(proxy, authority, received.subarray(0, end).toString('latin1'), received.length - end - HEAD_END.length));
      }
    };
    socket.once('connect', () => {
      connected = true;
      const auth =
        proxy.username !== undefined
          ? `Proxy-Authorization: Basic ${Buffer.from(`${proxy.username}:${proxy.password ?? ''}`, 'utf8').toString('base64')}\r\n`
          : '';
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
    });
    socket.on('readable', onReadable);
    socket.on('error', onError);
    socket.on('end', onEnd);
  });
}

/** The proxy's answer as an error, or undefined for a usable tunnel. */
function judgeAnswer(proxy: EgressProxy, authority: string, head: string, extraBytes: number): ProxyError | undefined {
  const statusLine = head.slice(0, head.indexOf('\r\n') >= 0 ? head.indexOf('\r\n') : head.length);
  const match = STATUS_LINE.exec(statusLine);
  if (!match) return new ProxyError('ERR_PROXY_BAD_RESPONSE', `proxy ${proxy.display} did not answer CONNECT with HTTP`);
  const status = Number(match[1]);
  const reason = printable(match[2] ?? '');
  const answer = reason ? `${status} ${reason}` : String(status);
  if (status === PROXY_AUTH_REQUIRED || status === UNAUTHORIZED) {
    const why = proxy.username !== undefined ? 'refused the proxy credentials' : 'requires proxy credentials (set them in proxy.url, proxy.usernameFile/passwordFile or HTTPS_PROXY)';
    return new ProxyError('ERR_PROXY_AUTH', `proxy ${proxy.display} ${why}: ${answer}`, status);
  }
  if (status < 200 || status > 299) return new ProxyError('ERR_PROXY_REFUSED', `proxy ${proxy.display} refused CONNECT ${authority}: ${answer}`, status);
  // The server speaks only after our ClientHello: bytes now mean the proxy is not a plain tunnel.
  if (extraBytes > 0) return new ProxyError('ERR_PROXY_BAD_RESPONSE', `proxy ${proxy.display} sent data before the TLS handshake`, status);
  return undefined;
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_REASON_LENGTH);
}
