import { z } from 'zod';
import { normalizeHost } from '../policy/host.js';
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
