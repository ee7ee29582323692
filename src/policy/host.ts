import { parseIp } from './ip.js';
import type { CanonicalIp } from './ip.js';

/** A host in canonical form: lower-case DNS name without trailing dot, or a canonical IP. */
export type CanonicalHost =
  | { readonly kind: 'name'; readonly host: string }
  | { readonly kind: 'ip'; readonly host: string; readonly ip: CanonicalIp };

/** Outcome of {@link normalizeHost}. */
export type HostParse = CanonicalHost | { readonly kind: 'invalid'; readonly reason: string };

const MAX_NAME_LENGTH = 253;
const LABEL = /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;

/**
 * True for a syntactically valid DNS name in lower case (labels of letters, digits, `-`, `_` inside,
 * at most 63 characters, 253 in all, no trailing dot).
 */
export function isDnsName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && name.split('.').every((label) => LABEL.test(label));
}

/**
 * Brings a host as written by a user or a peer into canonical form, so that policy compares like with
 * like: names are case-insensitive and a trailing dot is ignored; every IP notation is canonicalised;
 * `[v6]` brackets are accepted; IPv6 zone ids are refused.
 */
export function normalizeHost(text: string): HostParse {
  const bracketed = text.startsWith('[') && text.endsWith(']');
  const bare = bracketed ? text.slice(1, -1) : text;
  const asIp = parseIp(bare);
  if (asIp.ok) {
    if (bracketed && !bare.includes(':')) return invalid(text);
    return { kind: 'ip', host: asIp.ip.address, ip: asIp.ip };
  }
  if (asIp.problem === 'zone-id') return { kind: 'invalid', reason: `IPv6 zone ids are refused: "${text}"` };
  if (bracketed) return invalid(text);
  const name = (text.endsWith('.') ? text.slice(0, -1) : text).toLowerCase();
  const nameAsIp = parseIp(name);
  if (nameAsIp.ok) return { kind: 'ip', host: nameAsIp.ip.address, ip: nameAsIp.ip };
  return isDnsName(name) ? { kind: 'name', host: name } : invalid(text);
}

/** `host:port`, with brackets around IPv6 addresses. */
export function formatHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function invalid(text: string): HostParse {
  return { kind: 'invalid', reason: `${JSON.stringify(text)} is not a valid host name or IP address` };
}
