import { normalizeHost } from './host.js';
import type { CanonicalHost } from './host.js';
import { parsePortSpec, portInRanges } from './port-range.js';
import type { PortRange } from './port-range.js';

/** Which hosts a destination pattern covers. */
export type HostPattern =
  | { readonly kind: 'any' }
  | { readonly kind: 'exact'; readonly host: string }
  | { readonly kind: 'suffix'; readonly suffix: string };

/** A parsed ACL destination: `host:port`, `*.suffix:port`, `host:*`, `host:8000-8100`, `*:443`. */
export interface DestinationPattern {
  readonly host: HostPattern;
  /** `undefined` = any port. */
  readonly ports: PortRange | undefined;
}

const ANY = '*';

/**
 * Parses an ACL destination pattern. The host part is an exact DNS name or IP literal (`[v6]` in
 * brackets; canonicalised like every host), `*.suffix` (one or more labels in front of the suffix), or
 * `*` (any host); the port part is a port, a `first-last` range or `*`. Returns `undefined` when the
 * text is not such a pattern.
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

  if (hostText === ANY) return { host: { kind: 'any' }, ports };
  if (hostText.startsWith('*.')) {
    const suffix = normalizeHost(hostText.slice(2));
    if (suffix.kind !== 'name') return undefined;
    return { host: { kind: 'suffix', suffix: `.${suffix.host}` }, ports };
  }
  const host = normalizeHost(hostText);
  if (host.kind === 'invalid') return undefined;
  return { host: { kind: 'exact', host: host.host }, ports };
}

/** True when the canonical `host` and `port` fall under `pattern`. */
export function matchesDestination(pattern: DestinationPattern, host: CanonicalHost, port: number): boolean {
  if (pattern.ports !== undefined && !portInRanges([pattern.ports], port)) return false;
  switch (pattern.host.kind) {
    case 'any':
      return true;
    case 'exact':
      return pattern.host.host === host.host;
    case 'suffix':
      return host.kind === 'name' && host.host.length > pattern.host.suffix.length && host.host.endsWith(pattern.host.suffix);
  }
}
