import { isIP } from 'node:net';

const NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_.])?$/;

/**
 * Parses a CONNECT target in authority form (RFC 9110 §9.3.6): `host:port` or `[v6]:port`, nothing
 * else (no scheme, path, user info or missing port). Returns undefined when it is not one.
 */
export function parseAuthority(text: string): { host: string; port: number } | undefined {
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]/@\s]+):(\d{1,5})$/.exec(text);
  if (!match) return undefined;
  const host = match[1]!;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  if (text.startsWith('[') ? isIP(host) !== 6 : !(NAME.test(host) || isIP(host) === 4)) return undefined;
  return { host, port };
}
