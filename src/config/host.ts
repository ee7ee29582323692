import { z } from 'zod';
import { normalizeHost } from '../policy/host.js';
import { formatHostPattern, parseHostPattern } from '../policy/host-pattern.js';
import { parseIp } from '../policy/ip.js';
import { describeValue, expecting } from './describe-value.js';

const HOST = 'a host name or IP address';
const NAME = 'a DNS name';
const IP = 'an IP address';

/**
 * A DNS name or IP literal, given back in canonical form (lower case, no trailing dot; canonical IP
 * text). IPv6 zone ids are refused.
 */
export const hostSchema = z.string({ error: expecting(HOST) }).transform((text, ctx) => {
  const host = normalizeHost(text);
  if (host.kind !== 'invalid') return host.host;
  ctx.issues.push({ code: 'custom', input: text, message: `expected ${HOST}, got ${describeValue(text)}` });
  return z.NEVER;
});

/** A DNS name (not an IP literal), in canonical form. */
export const dnsNameSchema = z.string({ error: expecting(NAME) }).transform((text, ctx) => {
  const host = normalizeHost(text);
  if (host.kind === 'name') return host.host;
  ctx.issues.push({ code: 'custom', input: text, message: `expected ${NAME}, got ${describeValue(text)}` });
  return z.NEVER;
});

/** An IP literal in any notation, given back in canonical form; zone ids are refused. */
export const ipSchema = z.string({ error: expecting(IP) }).transform((text, ctx) => {
  const ip = parseIp(text);
  if (ip.ok) return ip.ip.address;
  const problem = ip.problem === 'zone-id' ? `${IP} without a zone id` : IP;
  ctx.issues.push({ code: 'custom', input: text, message: `expected ${problem}, got ${describeValue(text)}` });
  return z.NEVER;
});

const ALLOW_HOST = 'a host name, "*.suffix", "**.suffix", IP address or CIDR';

/** An agent allowlist host pattern, given back in canonical text (see `policy/host-pattern`). */
export const allowHostSchema = z.string({ error: expecting(ALLOW_HOST) }).transform((text, ctx) => {
  const parsed = parseHostPattern(text);
  if (parsed.ok) return formatHostPattern(parsed.pattern);
  ctx.issues.push({ code: 'custom', input: text, message: `expected ${ALLOW_HOST}; ${parsed.reason}` });
  return z.NEVER;
});

const DNS_SERVER = 'a resolver address like "10.0.0.53", "10.0.0.53:5353" or "[fd00::53]:53"';

/** A DNS server as `ip` or `ip:port` (`[v6]:port`), given back in the form `Resolver.setServers` takes. */
export const dnsServerSchema = z.string({ error: expecting(DNS_SERVER) }).transform((text, ctx) => {
  const parsed = parseDnsServer(text);
  if (parsed !== undefined) return parsed;
  ctx.issues.push({ code: 'custom', input: text, message: `expected ${DNS_SERVER}, got ${describeValue(text)}` });
  return z.NEVER;
});

function parseDnsServer(text: string): string | undefined {
  const bare = parseIp(text);
  const withPort = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  const ip = bare.ok ? bare : withPort === null ? undefined : parseIp(withPort[1]!);
  const port = bare.ok ? 53 : Number(withPort?.[2]);
  if (ip === undefined || !ip.ok || !(port >= 1 && port <= 65535)) return undefined;
  return ip.ip.family === 6 ? `[${ip.ip.address}]:${port}` : `${ip.ip.address}:${port}`;
}
