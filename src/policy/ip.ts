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

/** Which refused-by-default range a canonical address falls in, if any. */
export function specialRange(ip: CanonicalIp): SpecialRange | undefined {
  if (METADATA_ADDRESSES.has(ip.address)) return 'metadata';
  const range = ipaddr.parse(ip.address).range();
  return SPECIAL_RANGES.has(range) ? (range as SpecialRange) : undefined;
}
