import ipaddr from 'ipaddr.js';
import { normalizeHost } from './host.js';
import type { CanonicalHost } from './host.js';
import { parseIp, specialRange } from './ip.js';
import type { CanonicalIp, SpecialRange } from './ip.js';

/**
 * Which hosts a policy entry covers.
 * - `exact`: one canonical name or IP.
 * - `wildcard`: `*.suffix` covers names with **exactly one** more label in front of the suffix
 *   (`*.corp.example` covers `git.corp.example`, not `corp.example` nor `a.git.corp.example`), as in
 *   TLS certificates; `**.suffix` covers **one or more** labels. Neither ever covers an IP literal.
 * - `cidr`: IP literals inside a network (`10.0.0.0/8`, `fd00::/8`); never a name.
 * - `any`: every host (`*`), for ACL destinations only.
 */
export type HostPattern =
  | { readonly kind: 'any' }
  | { readonly kind: 'exact'; readonly host: CanonicalHost }
  | { readonly kind: 'wildcard'; readonly suffix: string; readonly labels: 'one' | 'many' }
  | { readonly kind: 'cidr'; readonly network: CanonicalIp; readonly prefix: number };

/** Outcome of {@link parseHostPattern}. */
export type HostPatternParse = { readonly ok: true; readonly pattern: HostPattern } | { readonly ok: false; readonly reason: string };

const ONE_LABEL = '*.';
const MANY_LABELS = '**.';
const ANY = '*';

/**
 * Parses a host pattern: a name or IP in any notation (canonicalised as by {@link normalizeHost}),
 * `*.suffix`, `**.suffix`, a CIDR (`10.0.0.0/8`, `[fd00::]/8`, `fd00::/8`; host bits must be zero;
 * IPv4-mapped networks become IPv4), or `*` when `allowAny` is set.
 */
export function parseHostPattern(text: string, options: { allowAny?: boolean } = {}): HostPatternParse {
  if (text === ANY) {
    return options.allowAny ? ok({ kind: 'any' }) : fail(`"*" would allow every host; list names, "*.suffix" patterns or CIDRs`);
  }
  for (const [prefix, labels] of [[MANY_LABELS, 'many'], [ONE_LABEL, 'one']] as const) {
    if (!text.startsWith(prefix)) continue;
    const suffix = normalizeHost(text.slice(prefix.length));
    if (suffix.kind !== 'name') return fail(`${JSON.stringify(text)}: the part after "${prefix}" must be a DNS name`);
    return ok({ kind: 'wildcard', suffix: suffix.host, labels });
  }
  if (text.includes('*')) return fail(`${JSON.stringify(text)}: "*" may only stand first, as "*.suffix" or "**.suffix"`);
  const slash = text.lastIndexOf('/');
  if (slash >= 0) return parseCidr(text, slash);
  const host = normalizeHost(text);
  return host.kind === 'invalid' ? fail(host.reason) : ok({ kind: 'exact', host });
}

/** Whether the canonical `host` falls under `pattern`. */
export function matchesHostPattern(pattern: HostPattern, host: CanonicalHost): boolean {
  switch (pattern.kind) {
    case 'any':
      return true;
    case 'exact':
      return pattern.host.host === host.host;
    case 'wildcard': {
      if (host.kind !== 'name' || !host.host.endsWith(`.${pattern.suffix}`)) return false;
      const front = host.host.slice(0, -(pattern.suffix.length + 1));
      return pattern.labels === 'many' || !front.includes('.');
    }
    case 'cidr':
      return host.kind === 'ip' && inCidr(host.ip, pattern);
  }
}

/**
 * Whether `pattern` names the address `ip` explicitly enough to let it through although it lies in a
 * refused-by-default range: an exact IP always does; a CIDR does only when the whole network lies in
 * that same range (`127.0.0.0/8` names loopback, `0.0.0.0/0` names nothing); cloud-metadata
 * addresses are named only by the exact IP.
 */
export function namesSpecialAddress(pattern: HostPattern, ip: CanonicalIp, range: SpecialRange): boolean {
  if (pattern.kind === 'exact') return pattern.host.host === ip.address;
  if (pattern.kind !== 'cidr' || range === 'metadata' || !inCidr(ip, pattern)) return false;
  const { first, last } = cidrBounds(pattern);
  return specialRange(first) === range && specialRange(last) === range;
}

/** The canonical text of a pattern (`git.corp.example`, `[::1]`, `*.corp.example`, `10.0.0.0/8`). */
export function formatHostPattern(pattern: HostPattern): string {
  switch (pattern.kind) {
    case 'any':
      return ANY;
    case 'exact':
      return pattern.host.host;
    case 'wildcard':
      return `${pattern.labels === 'one' ? ONE_LABEL : MANY_LABELS}${pattern.suffix}`;
    case 'cidr':
      return `${pattern.network.address}/${pattern.prefix}`;
  }
}

function parseCidr(text: string, slash: number): HostPatternParse {
  // `[fd00::/8]` (as in a destination `[fd00::/8]:443`) or `[fd00::]/8`.
  const whole = text.startsWith('[') && text.endsWith(']');
  const addressText = (whole ? text.slice(1, slash) : text.slice(0, slash)).replace(/^\[(.*)\]$/, '$1');
  const prefixText = whole ? text.slice(slash + 1, -1) : text.slice(slash + 1);
  const address = parseIp(addressText);
  const bad = `${JSON.stringify(text)} is not a CIDR like "10.0.0.0/8" or "fd00::/8"`;
  if (!address.ok || !/^\d{1,3}$/.test(prefixText)) return fail(address.ok || address.problem !== 'zone-id' ? bad : `IPv6 zone ids are refused: "${text}"`);
  let prefix = Number(prefixText);
  let network = address.ip;
  const writtenAsMapped = addressText.includes(':') && address.ip.family === 4;
  if (writtenAsMapped) {
    if (prefix < 96 || prefix > 128) return fail(`${JSON.stringify(text)}: an IPv4-mapped network needs a prefix from 96 to 128`);
    prefix -= 96;
  }
  if (prefix > (network.family === 4 ? 32 : 128)) return fail(bad);
  const pattern = { kind: 'cidr', network, prefix } as const;
  const { first } = cidrBounds(pattern);
  if (first.address !== network.address) {
    return fail(`${JSON.stringify(text)} has host bits set; did you mean ${first.address}/${prefix}?`);
  }
  network = first;
  return ok({ kind: 'cidr', network, prefix });
}

function inCidr(ip: CanonicalIp, pattern: { network: CanonicalIp; prefix: number }): boolean {
  if (ip.family !== pattern.network.family) return false;
  return ipaddr.parse(ip.address).match(ipaddr.parse(pattern.network.address), pattern.prefix);
}

function cidrBounds(pattern: { network: CanonicalIp; prefix: number }): { first: CanonicalIp; last: CanonicalIp } {
  const cidr = `${pattern.network.address}/${pattern.prefix}`;
  const kind = pattern.network.family === 4 ? ipaddr.IPv4 : ipaddr.IPv6;
  const canon = (addr: ipaddr.IPv4 | ipaddr.IPv6): CanonicalIp => {
    const parsed = parseIp(addr.toString());
    if (!parsed.ok) throw new Error(`unreachable: ${addr.toString()} does not parse`);
    return parsed.ip;
  };
  return { first: canon(kind.networkAddressFromCIDR(cidr)), last: canon(kind.broadcastAddressFromCIDR(cidr)) };
}

function ok(pattern: HostPattern): HostPatternParse {
  return { ok: true, pattern: Object.freeze(pattern) };
}

function fail(reason: string): HostPatternParse {
  return { ok: false, reason };
}
