import ipaddr from 'ipaddr.js';

/** Most networks one identity may list; bounds what every check walks. */
export const MAX_CIDRS_PER_IDENTITY = 64;

/**
 * Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address (a /32 or /128) into canonical CIDR text.
 * Returns undefined when it is neither.
 */
export function canonicalCidr(text: string): string | undefined {
  const trimmed = text.trim();
  try {
    if (trimmed.includes('/')) {
      const [addr, bits] = ipaddr.parseCIDR(trimmed);
      const network = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(trimmed) : ipaddr.IPv6.networkAddressFromCIDR(trimmed);
      return `${format(network)}/${bits}`;
    }
    if (!ipaddr.isValid(trimmed)) return undefined;
    const addr = ipaddr.parse(trimmed);
    return `${format(addr)}/${addr.kind() === 'ipv4' ? 32 : 128}`;
  } catch {
    return undefined;
  }
}

function format(addr: ipaddr.IPv4 | ipaddr.IPv6): string {
  return addr.kind() === 'ipv4' ? addr.toString() : (addr as ipaddr.IPv6).toRFC5952String();
}

/**
 * True when `address` (as a socket reports it; IPv4-mapped IPv6 counts as IPv4) lies in one of
 * `cidrs`, or when `cidrs` is empty. An address that cannot be parsed matches nothing.
 */
export function sourceAllowed(address: string | undefined, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  if (!address || !ipaddr.isValid(address)) return false;
  let addr = ipaddr.parse(address);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  return cidrs.some((cidr) => {
    try {
      const [network, bits] = ipaddr.parseCIDR(cidr);
      return network.kind() === addr.kind() && addr.match([network, bits] as [typeof addr, number]);
    } catch {
      return false;
    }
  });
}
