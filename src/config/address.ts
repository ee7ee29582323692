import { z } from 'zod';
import { normalizeHost, formatHostPort } from '../policy/host.js';
import { describeValue, expecting } from './describe-value.js';

/** A parsed `host:port`; IPv6 hosts are stored without brackets. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Options of {@link parseAddress}. */
export interface AddressOptions {
  /** Accept port 0 ("pick a free port"), for listen addresses. */
  readonly allowPortZero?: boolean;
}

/** Outcome of {@link parseAddress}; `problem` reads as `expected …, got "…"`. */
export type AddressParse = { readonly ok: true; readonly address: HostPort } | { readonly ok: false; readonly problem: string };

const PORT = /^\d{1,5}$/;
/** `https://host:8443`, `grpc://…`: a URL where a bare address belongs (the commonest mistake). */
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const MAX_PORT = 65535;

/**
 * Parses `host:port` or `[v6]:port`. The host is a DNS name or IP literal and is canonicalised
 * (lower-case name, canonical IP); an unbracketed IPv6 address is refused as ambiguous.
 */
export function parseAddress(text: string, options: AddressOptions = {}): AddressParse {
  const minPort = options.allowPortZero === true ? 0 : 1;
  const got = describeValue(text);
  const shape = { ok: false, problem: `expected an address like "127.0.0.1:8443" or "[::1]:8443", got ${got}` } as const;
  if (URL_SCHEME.test(text)) {
    return { ok: false, problem: `expected host:port without a scheme or path, like "tunnel.example.com:8443", got the URL ${got}` };
  }
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return shape;
  const hostText = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (hostText.includes(':') && !(hostText.startsWith('[') && hostText.endsWith(']'))) {
    return { ok: false, problem: `expected an IPv6 address in brackets, like "[::1]:8443", got ${got}` };
  }
  if (!PORT.test(portText) || Number(portText) < minPort || Number(portText) > MAX_PORT) {
    return { ok: false, problem: `expected host:port with a port from ${minPort} to ${MAX_PORT}, got ${got}` };
  }
  const host = normalizeHost(hostText);
  if (host.kind === 'invalid') return { ok: false, problem: `expected a host name or IP address before the port, got ${got}` };
  return { ok: true, address: { host: host.host, port: Number(portText) } };
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatAddress(address: HostPort): string {
  return formatHostPort(address.host, address.port);
}

function addressSchema(options: AddressOptions): z.ZodType<HostPort, string> {
  return z.string({ error: expecting('an address like "127.0.0.1:8443" or "[::1]:8443"') }).transform((text, ctx) => {
    const parsed = parseAddress(text, options);
    if (parsed.ok) return parsed.address;
    ctx.issues.push({ code: 'custom', input: text, message: parsed.problem });
    return z.NEVER;
  });
}

/** An address to listen on; port 0 picks a free port. */
export const listenAddressSchema = addressSchema({ allowPortZero: true });

/** An address to connect to; port 1 to 65535. */
export const dialAddressSchema = addressSchema({ allowPortZero: false });
