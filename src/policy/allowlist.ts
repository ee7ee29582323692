import { allowed, denied } from './decision.js';
import type { Decision } from './decision.js';
import { PolicyError } from './errors.js';
import { formatHostPort, normalizeHost } from './host.js';
import type { CanonicalHost } from './host.js';
import { parseIp, specialRange } from './ip.js';
import type { CanonicalIp, SpecialRange } from './ip.js';
import { isPort, mergePortRanges, parsePortSpec, portInRanges } from './port-range.js';
import type { PortRange, PortSpec } from './port-range.js';

/** One agent allowlist entry as written in the agent config. */
export interface AllowEntry {
  /** Exact DNS name (case-insensitive, trailing dot ignored) or IP literal in any notation. */
  readonly host: string;
  /** Ports and `first-last` ranges. */
  readonly ports: readonly PortSpec[];
  /** Let a *name* entry dial a loopback address it resolves to (off by default). */
  readonly allowLoopback?: boolean | undefined;
}

/** A compiled entry: canonical host, merged port ranges. */
export interface CompiledAllowEntry {
  readonly host: CanonicalHost;
  readonly ports: readonly PortRange[];
  readonly allowLoopback: boolean;
}

/** An allowlist ready for the decide functions; build it with {@link compileAllowlist}. */
export interface Allowlist {
  readonly entries: readonly CompiledAllowEntry[];
}

/** What an agent advertises to the server: hosts and the ports it will dial on each. */
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
 * naming the entry when a host or port does not parse, or an entry has no ports.
 */
export function compileAllowlist(entries: readonly AllowEntry[]): Allowlist {
  const compiled = entries.map((entry, i): CompiledAllowEntry => {
    const host = normalizeHost(entry.host);
    if (host.kind === 'invalid') throw invalidEntry(i, host.reason);
    if (entry.ports.length === 0) throw invalidEntry(i, 'no ports listed');
    const ranges = entry.ports.map((spec) => {
      const range = parsePortSpec(spec);
      if (range === undefined) throw invalidEntry(i, `${JSON.stringify(spec)} is not a port from 1 to 65535 or a range of them`);
      return range;
    });
    return Object.freeze({
      host: Object.freeze(host),
      ports: Object.freeze(mergePortRanges(ranges).map((r) => Object.freeze(r))),
      allowLoopback: entry.allowLoopback === true,
    });
  });
  return Object.freeze({ entries: Object.freeze(compiled) });
}

/**
 * Is `host:port` listed? Checked before resolving a name. The host is compared in canonical form;
 * the first entry that lists it with the port decides.
 */
export function decideName(allowlist: Allowlist, host: string, port: number): Decision {
  const match = findEntries(allowlist, host, port);
  if ('refusal' in match) return match.refusal;
  const [first] = match.entries;
  return allowed(`allowlist entry ${first} allows ${formatHostPort(match.host.host, port)}`, first);
}

/**
 * May the agent dial `ip` for `matchedHost:port` (a host that {@link decideName} allowed)? The IP is
 * canonicalised first (`127.1`, `0x7f000001`, `::ffff:7f00:1` are all 127.0.0.1); zone ids are
 * refused. An entry that lists an IP allows exactly that IP, whatever its range. An entry that lists
 * a name refuses loopback (unless it sets `allowLoopback`), link-local, unspecified, multicast,
 * broadcast and cloud-metadata addresses.
 */
export function decideAddress(allowlist: Allowlist, matchedHost: string, ip: string, port: number): Decision {
  const parsed = parseIp(ip);
  if (!parsed.ok) {
    return denied(parsed.problem === 'zone-id' ? `IPv6 zone ids are refused: "${ip}"` : `"${ip}" is not an IP address`);
  }
  const match = findEntries(allowlist, matchedHost, port);
  if ('refusal' in match) return match.refusal;
  let refusal: Decision | undefined;
  for (const i of match.entries) {
    const verdict = judgeAddress(allowlist.entries[i]!, i, match.host, parsed.ip, port);
    if (verdict.allow) return verdict;
    refusal ??= verdict;
  }
  return refusal as Decision;
}

/** Hosts and merged port ranges of the allowlist, one row per host, in first-listed order. */
export function summarize(allowlist: Allowlist): AllowlistSummaryEntry[] {
  const byHost = new Map<string, PortRange[]>();
  for (const entry of allowlist.entries) {
    byHost.set(entry.host.host, [...(byHost.get(entry.host.host) ?? []), ...entry.ports]);
  }
  return [...byHost].map(([host, ports]) => ({ host, ports: mergePortRanges(ports) }));
}

/**
 * Whether an advertised summary covers `host:port`. Both sides are canonicalised, so a summary from
 * a peer that wrote hosts differently still compares correctly; anything unparsable is not covered.
 */
export function summaryCovers(summary: readonly AllowlistSummaryEntry[], host: string, port: number): boolean {
  if (!isPort(port)) return false;
  const target = normalizeHost(host);
  if (target.kind === 'invalid') return false;
  return summary.some((entry) => {
    const listed = normalizeHost(entry.host);
    return listed.kind !== 'invalid' && listed.host === target.host && portInRanges(entry.ports, port);
  });
}

type EntryMatch = { readonly host: CanonicalHost; readonly entries: readonly number[] } | { readonly refusal: Decision };

function findEntries(allowlist: Allowlist, host: string, port: number): EntryMatch {
  if (!isPort(port)) return { refusal: denied(`port ${String(port)} is not a valid port`) };
  const target = normalizeHost(host);
  if (target.kind === 'invalid') return { refusal: denied(target.reason) };
  const sameHost = [...allowlist.entries.keys()].filter((i) => allowlist.entries[i]!.host.host === target.host);
  if (sameHost.length === 0) return { refusal: denied(`${target.host} is not on the agent's allowlist`) };
  const entries = sameHost.filter((i) => portInRanges(allowlist.entries[i]!.ports, port));
  if (entries.length === 0) return { refusal: denied(`port ${port} is not allowed for ${target.host} by the agent's allowlist`) };
  return { host: target, entries };
}

function judgeAddress(entry: CompiledAllowEntry, index: number, host: CanonicalHost, ip: CanonicalIp, port: number): Decision {
  const target = formatHostPort(host.host, port);
  if (entry.host.kind === 'ip') {
    return ip.address === entry.host.host
      ? allowed(`allowlist entry ${index} lists ${target} explicitly`, index)
      : denied(`address ${ip.address} is not the listed address ${entry.host.host}`, index);
  }
  const range = specialRange(ip);
  if (range === undefined || (range === 'loopback' && entry.allowLoopback)) {
    return allowed(`allowlist entry ${index} allows ${target} at ${ip.address}`, index);
  }
  const hint =
    range === 'loopback'
      ? '; set allowLoopback on the entry to permit it'
      : range === 'metadata'
        ? ''
        : '; list the address itself to permit it';
  return denied(`${host.host} resolved to ${RANGE_WORDS[range]} address ${ip.address}, which is refused${hint}`, index);
}

function invalidEntry(index: number, problem: string): PolicyError {
  return new PolicyError('ERR_POLICY_INVALID_RULE', `allowlist entry ${index}: ${problem}`);
}
