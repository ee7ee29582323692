import { SOCKS4_VERSION, SOCKS_VERSION } from './socks5-constants.js';

/** Which protocol a new proxy connection speaks, judged from its first byte. */
export type SniffedProtocol = 'socks5' | 'socks4' | 'http' | 'tls' | 'unknown';

/** A TLS handshake record: a client configured with an `https://` proxy URL. */
const TLS_HANDSHAKE = 0x16;

/** An HTTP request line starts with a method token, in practice upper-case letters. */
function isMethodByte(byte: number): boolean {
  return byte >= 0x41 && byte <= 0x5a;
}

/** Classifies a connection by its first byte; these never overlap, so one byte is enough. */
export function sniffProtocol(first: number): SniffedProtocol {
  if (first === SOCKS_VERSION) return 'socks5';
  if (first === SOCKS4_VERSION) return 'socks4';
  if (first === TLS_HANDSHAKE) return 'tls';
  if (isMethodByte(first)) return 'http';
  return 'unknown';
}
