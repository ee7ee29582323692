import ipaddr from 'ipaddr.js';

/** An IP address in its one canonical text form. */
export interface CanonicalIp {
  /** Dotted quad for IPv4 (IPv4-mapped IPv6 included), RFC 5952 text for IPv6. */
  readonly address: string;
  readonly family: 4 | 6;
}

/** Outcome of {@link parseIp}. */
export type IpParse =
  | { readonly ok: true; readonly ip: CanonicalIp }
  | { readonly ok: false; readonly problem: 'not-ip' | 'zone-id' };

/** Address ranges that a dial must not reach unless they are listed explicitly. */
export type SpecialRange = 'metadata' | 'loopback' | 'linkLocal' | 'unspecified' | 'multicast' | 'broadcast';

/**
 * Cloud instance-metadata endpoints. 169.254.169.254 is link-local anyway; the others sit in ranges
 * (unique-local, carrier-grade NAT) that private networks use legitimately, so they are named here.
 */
export const METADATA_ADDRESSES: ReadonlySet<string> = new Set([
  '169.254.169.254', // AWS, GCP, Azure, OpenStack
  'fd00:ec2::254', // AWS IPv6
  '100.100.100.200', // Alibaba Cloud
]);

const MAYBE_IP = /^[0-9a-fA-FxX.:]+$/;

const SPECIAL_RANGES: ReadonlySet<string> = new Set(['loopback', 'linkLocal', 'unspecified', 'multicast', 'broadcast']);

/**
 * Parses any notation the system resolver would accept as an IP literal (`127.1`, `0x7f000001`,
 * `0177.0.0.1`, `::ffff:7f00:1`, …) into its canonical form; IPv4-mapped IPv6 becomes IPv4.
 * Addresses with an IPv6 zone id (`fe80::1%eth0`) are refused: they name an interface, not a host.
 */
export function parseIp(text: string): IpParse {
  // Only a fast path for plain names: ipaddr's IPv6 patterns take ~50 µs to reject a name, and every
  // host on every stream goes through here. Text with a letter beyond f (other than the x of 0x) and
  // no `%` zone id cannot be an IP in any notation; everything else is decided by ipaddr.
  if (!MAYBE_IP.test(text) && !text.includes('%')) return { ok: false, problem: 'not-ip' };
  if (!ipaddr.isValid(text)) return { ok: false, problem: 'not-ip' };
  let addr = ipaddr.parse(text);
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    if (v6.zoneId !== undefined) return { ok: false, problem: 'zone-id' };
    if (v6.isIPv4MappedAddress()) addr = v6.toIPv4Address();
  }
  const ip: CanonicalIp =
    addr.kind() === 'ipv4'
      ? { address: addr.toString(), family: 4 }
      : { address: (addr as ipaddr.IPv6).toRFC5952String(), family: 6 };
  return { ok: true, ip };
}

/**
 * Which refused-by-default range a canonical address falls in, if any. An IPv6 address that embeds an
 * IPv4 address for a translator or tunnel (NAT64 `64:ff9b::/96`, SIIT `::ffff:0:0:0/96`, 6to4
 * `2002::/16`, Teredo) is judged by the IPv4 address it leads to, so `64:ff9b::a9fe:a9fe` is metadata.
 */
export function specialRange(ip: CanonicalIp): SpecialRange | undefined {
  if (METADATA_ADDRESSES.has(ip.address)) return 'metadata';
  const addr = ipaddr.parse(ip.address);
  const range = addr.range();
  if (SPECIAL_RANGES.has(range)) return range as SpecialRange;
  const embedded = addr.kind() === 'ipv6' ? embeddedIpv4(addr as ipaddr.IPv6, range) : undefined;
  return embedded === undefined ? undefined : specialRange({ address: embedded, family: 4 });
}

function embeddedIpv4(addr: ipaddr.IPv6, range: string): string | undefined {
  const p = addr.parts;
  const quad = (hi: number, lo: number): string => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  switch (range) {
    case 'rfc6052':
    case 'rfc6145':
      return quad(p[6]!, p[7]!);
    case '6to4':
      return quad(p[1]!, p[2]!);
    case 'teredo':
      return quad(p[6]! ^ 0xffff, p[7]! ^ 0xffff);
    default:
      return undefined;
  }
}
