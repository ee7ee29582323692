import ipaddr from 'ipaddr.js';
import { normalizeHost } from './host.js';

/**
 * One `NO_PROXY` entry, compiled:
 * - `any`: `*` — nothing goes through the proxy;
 * - `domain`: a name and every name below it (`example.com`, `.example.com` and `*.example.com` all
 *   cover `example.com` and `a.b.example.com`, never `badexample.com`), as curl reads them;
 * - `ip`: that IP literal, in any notation;
 * - `cidr`: IP literals in the network (`10.0.0.0/8`, `fd00::/8`); never a name.
 * Each may end in `:port` (`[v6]:port` for IPv6), and then covers that port only.
 */
export type NoProxyEntry =
  | { readonly kind: 'any' }
  | { readonly kind: 'domain'; readonly name: string; readonly port?: number }
  | { readonly kind: 'ip'; readonly address: string; readonly port?: number }
  | { readonly kind: 'cidr'; readonly range: [ipaddr.IPv4 | ipaddr.IPv6, number]; readonly port?: number };

/** Outcome of {@link parseNoProxyEntry}. */
export type NoProxyParse = { readonly ok: true; readonly entry: NoProxyEntry } | { readonly ok: false; readonly problem: string };

const PORT = /^[0-9]{1,5}$/;
const MAX_ENTRY_LENGTH = 260;

/** Parses one `NO_PROXY` entry (already split at commas and trimmed). */
export function parseNoProxyEntry(text: string): NoProxyParse {
  if (text === '') return fail(text, 'is empty');
  if (text.length > MAX_ENTRY_LENGTH) return fail(text.slice(0, 32), `is longer than ${MAX_ENTRY_LENGTH} characters`);
  if (text === '*') return { ok: true, entry: { kind: 'any' } };
  const split = splitPort(text);
  if (!split.ok) return split;
  const { host, port } = split;
  const withPort = <T extends object>(entry: T): T & { port?: number } => (port === undefined ? entry : { ...entry, port });
  const slash = host.indexOf('/');
  if (slash >= 0) {
    try {
      const range = ipaddr.parseCIDR(host);
      const network = range[0].kind() === 'ipv6' && (range[0] as ipaddr.IPv6).isIPv4MappedAddress() ? undefined : range;
      if (!network) return fail(text, 'is an IPv4-mapped network; write it as IPv4');
      return { ok: true, entry: withPort({ kind: 'cidr', range: network }) };
    } catch {
      return fail(text, 'is not a network like 10.0.0.0/8');
    }
  }
  const bare = host.replace(/^\*?\./, '');
  const parsed = normalizeHost(bare);
  if (parsed.kind === 'invalid') return fail(text, 'is not a host name, IP address or network');
  if (parsed.kind === 'ip') {
    if (bare !== host) return fail(text, 'puts a wildcard in front of an IP address');
    return { ok: true, entry: withPort({ kind: 'ip', address: parsed.host }) };
  }
  return { ok: true, entry: withPort({ kind: 'domain', name: parsed.host }) };
}

/**
 * Parses a `NO_PROXY` value: comma- (or space-) separated entries; empty ones are skipped. Returns the
 * first bad entry's problem.
 */
export function parseNoProxyList(entries: readonly string[]): { ok: true; entries: NoProxyEntry[] } | { ok: false; problem: string } {
  const out: NoProxyEntry[] = [];
  for (const text of entries.flatMap((e) => e.split(/[,\s]+/)).filter((e) => e !== '')) {
    const parsed = parseNoProxyEntry(text);
    if (!parsed.ok) return parsed;
    out.push(parsed.entry);
  }
  return { ok: true, entries: out };
}

/** True when a connection to `host:port` must not use the proxy. `host` as written (name or IP). */
export function bypassesProxy(entries: readonly NoProxyEntry[], host: string, port: number): boolean {
  const target = normalizeHost(host);
  if (target.kind === 'invalid') return false;
  return entries.some((entry) => {
    if (entry.kind === 'any') return true;
    if (entry.port !== undefined && entry.port !== port) return false;
    switch (entry.kind) {
      case 'domain':
        return target.kind === 'name' && (target.host === entry.name || target.host.endsWith(`.${entry.name}`));
      case 'ip':
        return target.kind === 'ip' && target.host === entry.address;
      case 'cidr': {
        if (target.kind !== 'ip') return false;
        const address = ipaddr.parse(target.host);
        return address.kind() === entry.range[0].kind() && address.match(entry.range);
      }
    }
  });
}

function splitPort(text: string): { ok: true; host: string; port?: number } | { ok: false; problem: string } {
  let host = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (text.indexOf(':') === text.lastIndexOf(':') && text.includes(':')) {
    // One colon: host:port. Several: a bare IPv6 address (or network) without a port.
    host = text.slice(0, text.indexOf(':'));
    portText = text.slice(text.indexOf(':') + 1);
  }
  if (portText === undefined) return { ok: true, host };
  const port = Number(portText);
  if (!PORT.test(portText) || port < 1 || port > 65535) return fail(text, 'has a port that is not a number from 1 to 65535');
  return { ok: true, host, port };
}

function fail(text: string, problem: string): { ok: false; problem: string } {
  return { ok: false, problem: `NO_PROXY entry ${JSON.stringify(text)} ${problem}` };
}
