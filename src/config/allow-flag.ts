import { formatHostPattern, parseHostPattern } from '../policy/host-pattern.js';
import { MAX_PORT, MIN_PORT, parsePortSpec } from '../policy/port-range.js';

/** One allowlist entry as `agent.yaml` writes it: canonical host pattern, ports and ranges. */
export interface AllowFlagEntry {
  readonly host: string;
  readonly ports: readonly (number | string)[];
}

/** Outcome of {@link parseAllowFlag}. */
export type AllowFlagParse = { readonly ok: true; readonly entry: AllowFlagEntry } | { readonly ok: false; readonly problem: string };

const MAX_FLAG_LENGTH = 1024;
const MAX_PORTS = 64;
const FORM = 'HOST:PORT[,PORT|,FIRST-LAST...] like gitlab.internal.acme.net:443,22';

/**
 * Parses one `--allow` value of `agent-bundle`: a host (DNS name, `*.suffix`, `**.suffix`, IP, CIDR;
 * IPv6 in brackets) and after the last colon a comma-separated list of ports and ranges
 * (`gitlab.internal.acme.net:443,22`, `10.20.0.0/16:8000-8100`, `[fd00::5]:22`). The problem of a bad
 * value is one line that quotes it.
 */
export function parseAllowFlag(text: string): AllowFlagParse {
  const value = text.trim();
  if (value === '') return fail(text, `is empty; expected ${FORM}`);
  if (value.length > MAX_FLAG_LENGTH) return fail(text.slice(0, 40), `is longer than ${MAX_FLAG_LENGTH} characters`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return fail(text, `is a URL; give the host and its ports, ${FORM}`);
  let hostText: string;
  let portsText: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0) return fail(text, 'opens "[" for an IPv6 address but never closes it');
    // `[fd00::5]:22` or, for a network, `[fd00::]/64:22`: the ports follow the first colon after "]".
    const colon = value.indexOf(':', close);
    if (colon < 0) return fail(text, `has no ports after the host; expected ${FORM}`);
    const between = value.slice(close + 1, colon);
    if (between !== '' && !/^\/\d{1,3}$/.test(between)) return fail(text, `has "${between}" after "]" where ":PORT" or "/PREFIX:PORT" belongs`);
    // Brackets kept: the host parser takes them and refuses anything but IPv6 inside.
    hostText = close === 1 ? '' : value.slice(0, colon);
    portsText = value.slice(colon + 1);
  } else {
    const colon = value.lastIndexOf(':');
    if (colon < 0) return fail(text, `has no ports; expected ${FORM}`);
    hostText = value.slice(0, colon);
    portsText = value.slice(colon + 1);
    if (hostText.includes(':')) return fail(text, 'looks like an IPv6 address: write it in brackets, like [fd00::5]:22');
  }
  if (hostText === '') return fail(text, `has no host before the ports; expected ${FORM}`);
  if (portsText === '') return fail(text, `has no ports after the host; expected ${FORM}`);
  const host = parseHostPattern(hostText);
  if (!host.ok) return fail(text, `has a host that is not a name, "*.suffix", "**.suffix", IP or CIDR: ${host.reason}`);
  const parts = portsText.split(',');
  if (parts.length > MAX_PORTS) return fail(text, `lists more than ${MAX_PORTS} ports`);
  const ports: (number | string)[] = [];
  for (const part of parts) {
    const spec = part.trim();
    if (spec === '') return fail(text, 'has an empty port in its list (a doubled or trailing comma?)');
    const range = parsePortSpec(spec);
    if (range === undefined) {
      const what = spec.includes('-') ? `a range FIRST-LAST with ${MIN_PORT} <= FIRST <= LAST <= ${MAX_PORT}` : `a port from ${MIN_PORT} to ${MAX_PORT}`;
      return fail(text, `has "${spec}" where ${what} belongs`);
    }
    const canonical = range.first === range.last ? range.first : `${range.first}-${range.last}`;
    if (!ports.includes(canonical)) ports.push(canonical);
  }
  return { ok: true, entry: { host: formatHostPattern(host.pattern), ports } };
}

function fail(text: string, problem: string): AllowFlagParse {
  return { ok: false, problem: `--allow ${JSON.stringify(text)} ${problem}` };
}

/**
 * Joins entries for the same host (several `--allow` flags naming it) into one, ports in first-given
 * order without repeats; hosts keep the order they were first given in.
 */
export function mergeAllowEntries(entries: readonly AllowFlagEntry[]): AllowFlagEntry[] {
  const byHost = new Map<string, (number | string)[]>();
  for (const entry of entries) {
    const ports = byHost.get(entry.host) ?? [];
    for (const port of entry.ports) if (!ports.includes(port)) ports.push(port);
    byHost.set(entry.host, ports);
  }
  return [...byHost].map(([host, ports]) => ({ host, ports }));
}
