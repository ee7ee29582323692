import { domainToASCII } from 'node:url';
import { parseIp } from './ip.js';
import type { CanonicalIp } from './ip.js';

/** A host in canonical form: lower-case ASCII (punycode) DNS name without trailing dot, or a canonical IP. */
export type CanonicalHost =
  | { readonly kind: 'name'; readonly host: string }
  | { readonly kind: 'ip'; readonly host: string; readonly ip: CanonicalIp };

/** Outcome of {@link normalizeHost}. */
export type HostParse = CanonicalHost | { readonly kind: 'invalid'; readonly reason: string };

const MAX_NAME_LENGTH = 253;
/** Longest input looked at at all, so a hostile peer cannot make IDN mapping work hard. */
const MAX_INPUT_LENGTH = 1024;
const LABEL = /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;
/** ASCII that may appear in a host as written; anything else ASCII (`%`, `/`, `@`, space, …) is refused. */
const ASCII_HOST_CHARS = /^[A-Za-z0-9._-]*$/;
const ASCII_ONLY = /^[\x00-\x7f]*$/;
/** A last label that a resolver would read as a number (`1`, `0x1f`, `017`): such a host must be an IP. */
const NUMERIC_LABEL = /^(?:\d+|0x[0-9a-f]*)$/;

/**
 * True for a syntactically valid DNS name in lower case (labels of letters, digits, `-`, `_` inside,
 * at most 63 characters, 253 in all, no trailing dot).
 */
export function isDnsName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && name.split('.').every((label) => LABEL.test(label));
}

/**
 * Brings a host as written by a user or a peer into canonical form, so that policy compares like with
 * like:
 * - names are case-insensitive and one trailing dot is ignored;
 * - internationalised names become punycode (`bücher.example` → `xn--bcher-kva.example`) by the
 *   WHATWG/UTS #46 mapping of `url.domainToASCII`, which also folds full-width characters;
 * - every IP notation is canonicalised (`127.1`, `0x7f000001`, `2130706433`, `0177.0.0.1`, `0`,
 *   `::ffff:7f00:1` are IPv4; IPv4-mapped IPv6 becomes IPv4), also when it only appears after IDN
 *   mapping (`１２７.0.0.1`);
 * - a name whose last label is numeric but that is not an IP (`1.2.3.4.5`, `127.0.0.1.1`) is refused,
 *   as the resolver might read it as an address;
 * - `[v6]` brackets are accepted; IPv6 zone ids, `%`-escapes and other punctuation are refused.
 */
export function normalizeHost(text: string): HostParse {
  if (text.length > MAX_INPUT_LENGTH) return invalid(`${text.slice(0, 64)}…`);
  const bracketed = text.startsWith('[') && text.endsWith(']');
  const bare = bracketed ? text.slice(1, -1) : text;
  const asIp = parseIp(bare);
  if (asIp.ok) {
    if (bracketed && !bare.includes(':')) return invalid(text);
    return { kind: 'ip', host: asIp.ip.address, ip: asIp.ip };
  }
  if (asIp.problem === 'zone-id') return { kind: 'invalid', reason: `IPv6 zone ids are refused: "${text}"` };
  if (bracketed) return invalid(text);
  if (ASCII_ONLY.test(text) && !ASCII_HOST_CHARS.test(text)) return invalid(text);
  const mapped = domainToASCII(text);
  const ascii = mapped.endsWith('.') ? mapped.slice(0, -1) : mapped;
  if (ascii === '' || !ASCII_HOST_CHARS.test(ascii)) return invalid(text);
  const nameAsIp = parseIp(ascii);
  if (nameAsIp.ok) return { kind: 'ip', host: nameAsIp.ip.address, ip: nameAsIp.ip };
  const lastLabel = ascii.slice(ascii.lastIndexOf('.') + 1);
  if (NUMERIC_LABEL.test(lastLabel)) {
    return { kind: 'invalid', reason: `${JSON.stringify(text)} ends in a number but is not an IP address` };
  }
  return isDnsName(ascii) ? { kind: 'name', host: ascii } : invalid(text);
}

/** `host:port`, with brackets around IPv6 addresses. */
export function formatHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function invalid(text: string): HostParse {
  return { kind: 'invalid', reason: `${JSON.stringify(text)} is not a valid host name or IP address` };
}
