import type { TunnelFailure } from './open-tunnel.js';
import { SocksReply, type SocksReplyCode } from './socks5-constants.js';

/** What an HTTP proxy client is told for each failure, and whether a retry later can help. */
export const HTTP_FOR_FAILURE: Readonly<Record<TunnelFailure, { status: number; text: string; retryAfter?: number }>> = {
  denied: { status: 403, text: 'Forbidden' },
  unauthenticated: { status: 403, text: 'Forbidden' },
  'no-agent': { status: 503, text: 'Service Unavailable', retryAfter: 5 },
  'server-unavailable': { status: 503, text: 'Service Unavailable', retryAfter: 5 },
  limit: { status: 503, text: 'Service Unavailable', retryAfter: 1 },
  refused: { status: 502, text: 'Bad Gateway' },
  unreachable: { status: 502, text: 'Bad Gateway' },
  timeout: { status: 504, text: 'Gateway Timeout' },
  error: { status: 502, text: 'Bad Gateway' },
};

/** The RFC 1928 reply for each failure; SOCKS has no body, so the code is all the caller learns. */
export const SOCKS_FOR_FAILURE: Readonly<Record<TunnelFailure, SocksReplyCode>> = {
  denied: SocksReply.NOT_ALLOWED,
  unauthenticated: SocksReply.NOT_ALLOWED,
  'no-agent': SocksReply.NETWORK_UNREACHABLE,
  'server-unavailable': SocksReply.GENERAL_FAILURE,
  limit: SocksReply.GENERAL_FAILURE,
  refused: SocksReply.CONNECTION_REFUSED,
  unreachable: SocksReply.HOST_UNREACHABLE,
  timeout: SocksReply.HOST_UNREACHABLE,
  error: SocksReply.GENERAL_FAILURE,
};

/** One line for a person: which failure, and the server's or agent's reason. */
export function failureLine(failure: TunnelFailure, reason: string): string {
  return `causeway: ${failure}: ${reason}`;
}
