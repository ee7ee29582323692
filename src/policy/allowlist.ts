import { allowed, denied } from './decision.js';
import type { Decision } from './decision.js';
import { PolicyError } from './errors.js';
import { formatHostPort, normalizeHost } from './host.js';
import type { CanonicalHost } from './host.js';
import { formatHostPattern, matchesHostPattern, namesSpecialAddress, parseHostPattern } from './host-pattern.js';
import type { HostPattern } from './host-pattern.js';
import { parseIp, specialRange } from './ip.js';
import type { CanonicalIp, SpecialRange } from './ip.js';
import { isPort, mergePortRanges, parsePortSpec, portInRanges } from './port-range.js';
import type { PortRange, PortSpec } from './port-range.js';
import { selfRefusal } from './self-endpoint.js';
import type { SelfEndpoints } from './self-endpoint.js';

/** One agent allowlist entry as written in the agent config. */
export interface AllowEntry {
  /**
   * Exact DNS name (case-insensitive, trailing dot ignored, IDN as punycode), `*.suffix` (exactly one
   * label in front of the suffix), `**.suffix` (one or more labels), an IP literal in any notation, or
   * a CIDR. Names match names and IPs/CIDRs match IP literals: a name entry never lets a client ask for
   * an IP, nor the other way round.
   */
  readonly host: string;
  /** Ports and `first-last` ranges. */
  readonly ports: readonly PortSpec[];
  /** Let a *name* entry dial a loopback address it resolves to (off by default). */
  readonly allowLoopback?: boolean | undefined;
}

/** A compiled entry: parsed host pattern, merged port ranges. */
export interface CompiledAllowEntry {
  readonly pattern: HostPattern;
  readonly ports: readonly PortRange[];
  readonly allowLoopback: boolean;
}

/** An allowlist ready for the decide functions; build it with {@link compileAllowlist}. */
export interface Allowlist {
  readonly entries: readonly CompiledAllowEntry[];
}

/** What an agent advertises to the server: host patterns and the ports it will dial on each. */
export interface AllowlistSummaryEntry {
  readonly host: string;
  readonly ports: readonly PortRange[];
}

const RANGE_WORDS: Readonly<Record<SpecialRange, string>> = {
  metadata: 'cloud metadata',
  loopback: 'loopback',
  linkLocal: 'link-local',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'broadcast',
};

/**
 * Canonicalises and freezes allowlist entries. Throws {@link PolicyError} `ERR_POLICY_INVALID_RULE`
 * naming the entry when a host or port does not parse, or an entry has no ports. `allowLoopback` means
 * something on name entries only: an IP or CIDR entry names its addresses itself.
 */
export function compileAllowlist(entries: readonly AllowEntry[]): Allowlist {
  const compiled = entries.map((entry, i): CompiledAllowEntry => {
    const parsed = parseHostPattern(entry.host);
    if (!parsed.ok) throw invalidEntry(i, parsed.reason);
    if (entry.ports.length === 0) throw invalidEntry(i, 'no ports listed');
    const ranges = entry.ports.map((spec) => {
      const range = parsePortSpec(spec);
      if (range === undefined) throw invalidEntry(i, `${JSON.stringify(spec)} is not a port from 1 to 65535 or a range of them`);
      return range;
    });
    return Object.freeze({
      pattern: parsed.pattern,
      ports: Object.freeze(mergePortRanges(ranges).map((r) => Object.freeze(r))),
      allowLoopback: entry.allowLoopback === true && isNamePattern(parsed.pattern),
    });
  });
  return Object.freeze({ entries: Object.freeze(compiled) });
}

/**
 * Is `host:port` listed? Checked before resolving a name. The host is compared in canonical form;
 * the first entry (in listed order) that covers it with the port decides.
 */
export function decideName(allowlist: Allowlist, host: string, port: number): Decision {
  const match = findEntries(allowlist, host, port);
  if ('refusal' in match) return match.refusal;
  const [first] = match.entries;
  return allowed(`allowlist entry ${first} (${describeEntry(allowlist, first!)}) allows ${formatHostPort(match.host.host, port)}`, first!);
}

/**
 * May the agent dial `ip` for `host:port`? `host` is what was asked for; `ip` is the address it
 * resolved to (or the IP itself). The IP is canonicalised first (`127.1`, `0x7f000001`,
 * `::ffff:7f00:1` are all 127.0.0.1); zone ids are refused.
 *
 * - The agent's own endpoints (`self`, e.g. its admin port) are refused whatever the entries say.
 * - Loopback, link-local, cloud-metadata, unspecified, multicast and broadcast addresses are refused
 *   unless an IP or CIDR entry names the address explicitly with this port (see
 *   {@link namesSpecialAddress}: `0.0.0.0/0` does not, `127.0.0.0/8` names loopback, only the exact
 *   IP names a metadata address), or, for loopback only, the matching name entry sets `allowLoopback`.
 * - When an IP was asked for, the address must be that IP.
 */
export function decideAddress(allowlist: Allowlist, host: string, ip: string, port: number, self?: SelfEndpoints): Decision {
  const parsed = parseIp(ip);
  if (!parsed.ok) {
    return denied(parsed.problem === 'zone-id' ? `IPv6 zone ids are refused: "${ip}"` : `"${ip}" is not an IP address`);
  }
  const address = parsed.ip;
  if (self !== undefined) {
    const own = selfRefusal(self, address, port);
    if (own !== undefined) return own;
  }
  const match = findEntries(allowlist, host, port);
  if ('refusal' in match) return match.refusal;
  const [first] = match.entries as [number];
  const target = formatHostPort(match.host.host, port);
  if (match.host.kind === 'ip' && match.host.host !== address.address) {
    return denied(`address ${address.address} is not the requested address ${match.host.host}`, first);
  }
  const range = specialRange(address);
  if (range === undefined) {
    return allowed(`allowlist entry ${first} (${describeEntry(allowlist, first)}) allows ${target} at ${address.address}`, first);
  }
  if (range === 'loopback' && match.host.kind === 'name') {
    const permissive = match.entries.find((i) => allowlist.entries[i]!.allowLoopback);
    if (permissive !== undefined) {
      return allowed(`allowlist entry ${permissive} (${describeEntry(allowlist, permissive)}) allows ${target} at loopback ${address.address} (allowLoopback)`, permissive);
    }
  }
  const naming = explicitEntry(allowlist, address, range, port);
  if (naming !== undefined) {
    return allowed(`allowlist entry ${naming} (${describeEntry(allowlist, naming)}) names ${RANGE_WORDS[range]} address ${address.address} explicitly for port ${port}`, naming);
  }
  const what = match.host.kind === 'ip' ? `${address.address} is a ${RANGE_WORDS[range]} address` : `${match.host.host} resolved to ${RANGE_WORDS[range]} address ${address.address}`;
  const hint =
    range === 'metadata'
      ? '; only an entry with this exact IP permits it'
      : range === 'loopback' && match.host.kind === 'name'
        ? '; set allowLoopback on the entry, or list the address itself, to permit it'
        : '; list the address itself, or a CIDR within its range, to permit it';
  return denied(`${what}, which is refused${hint}`, first);
}

/** Host patterns and merged port ranges of the allowlist, one row per pattern, in first-listed order. */
export function summarize(allowlist: Allowlist): AllowlistSummaryEntry[] {
  const byHost = new Map<string, PortRange[]>();
  for (const entry of allowlist.entries) {
    const host = formatHostPattern(entry.pattern);
    byHost.set(host, [...(byHost.get(host) ?? []), ...entry.ports]);
  }
  return [...byHost].map(([host, ports]) => ({ host, ports: mergePortRanges(ports) }));
}

/**
 * Whether an advertised summary covers `host:port`. Both sides are canonicalised and parsed as
 * patterns, so a summary from a peer that wrote hosts differently still compares correctly; anything
 * unparsable is not covered. The agent re-checks every dial: a summary only routes. A summary is parsed
 * once and the result kept for as long as the array itself lives (one agent registration).
 */
export function summaryCovers(summary: readonly AllowlistSummaryEntry[], host: string, port: number): boolean {
  if (!isPort(port)) return false;
  const target = normalizeHost(host);
  if (target.kind === 'invalid') return false;
  return compiledSummary(summary).some((entry) => portInRanges(entry.ports, port) && matchesHostPattern(entry.pattern, target));
}

const compiledSummaries = new WeakMap<readonly AllowlistSummaryEntry[], readonly { pattern: HostPattern; ports: readonly PortRange[] }[]>();

function compiledSummary(summary: readonly AllowlistSummaryEntry[]): readonly { pattern: HostPattern; ports: readonly PortRange[] }[] {
  let compiled = compiledSummaries.get(summary);
  if (compiled === undefined) {
    compiled = summary.flatMap((entry) => {
      const listed = parseHostPattern(entry.host);
      return listed.ok ? [{ pattern: listed.pattern, ports: entry.ports.map((r) => ({ first: r.first, last: r.last })) }] : [];
    });
    compiledSummaries.set(summary, compiled);
  }
  return compiled;
}

type EntryMatch = { readonly host: CanonicalHost; readonly entries: readonly number[] } | { readonly refusal: Decision };

function findEntries(allowlist: Allowlist, host: string, port: number): EntryMatch {
  if (!isPort(port)) return { refusal: denied(`port ${String(port)} is not a valid port`) };
  const target = normalizeHost(host);
  if (target.kind === 'invalid') return { refusal: denied(target.reason) };
  const sameHost = [...allowlist.entries.keys()].filter((i) => matchesHostPattern(allowlist.entries[i]!.pattern, target));
  if (sameHost.length === 0) return { refusal: denied(`${target.host} is not on the agent's allowlist`) };
  const entries = sameHost.filter((i) => portInRanges(allowlist.entries[i]!.ports, port));
  if (entries.length === 0) return { refusal: denied(`port ${port} is not allowed for ${target.host} by the agent's allowlist`) };
  return { host: target, entries };
}

function explicitEntry(allowlist: Allowlist, ip: CanonicalIp, range: SpecialRange, port: number): number | undefined {
  const index = allowlist.entries.findIndex((entry) => portInRanges(entry.ports, port) && namesSpecialAddress(entry.pattern, ip, range));
  return index < 0 ? undefined : index;
}

function isNamePattern(pattern: HostPattern): boolean {
  return pattern.kind === 'wildcard' || (pattern.kind === 'exact' && pattern.host.kind === 'name');
}

function describeEntry(allowlist: Allowlist, index: number): string {
  return formatHostPattern(allowlist.entries[index]!.pattern);
}

function invalidEntry(index: number, problem: string): PolicyError {
  return new PolicyError('ERR_POLICY_INVALID_RULE', `allowlist entry ${index}: ${problem}`);
}
