import type { CanonicalHost } from './host.js';
import { formatHostPattern, matchesHostPattern, parseHostPattern } from './host-pattern.js';
import type { HostPattern } from './host-pattern.js';
import { formatPortRange, parsePortSpec, portInRanges } from './port-range.js';
import type { PortRange } from './port-range.js';

export type { HostPattern } from './host-pattern.js';

/**
 * A parsed ACL destination: `host:port`, `*.suffix:port` (exactly one label), `**.suffix:port` (one or
 * more labels), `10.0.0.0/8:22`, `host:*`, `host:8000-8100`, `*:443`.
 */
export interface DestinationPattern {
  readonly host: HostPattern;
  /** `undefined` = any port. */
  readonly ports: PortRange | undefined;
}

const ANY = '*';

/**
 * Parses an ACL destination pattern. The host part is any {@link parseHostPattern} pattern (IPv6 in
 * `[brackets]`) or `*` (any host); the port part is a port, a `first-last` range or `*`. Returns
 * `undefined` when the text is not such a pattern.
 */
export function parseDestinationPattern(text: string): DestinationPattern | undefined {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const hostText = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (hostText.includes(':') && !hostText.startsWith('[')) return undefined;

  let ports: PortRange | undefined;
  if (portText !== ANY) {
    ports = parsePortSpec(portText);
    if (ports === undefined) return undefined;
  }
  const host = parseHostPattern(hostText, { allowAny: true });
  return host.ok ? { host: host.pattern, ports } : undefined;
}

/** True when the canonical `host` and `port` fall under `pattern`. */
export function matchesDestination(pattern: DestinationPattern, host: CanonicalHost, port: number): boolean {
  if (pattern.ports !== undefined && !portInRanges([pattern.ports], port)) return false;
  return matchesHostPattern(pattern.host, host);
}

/** The canonical text of a destination pattern, for explanations. */
export function formatDestination(pattern: DestinationPattern): string {
  const host = formatHostPattern(pattern.host);
  const port = pattern.ports === undefined ? ANY : formatPortRange(pattern.ports);
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
