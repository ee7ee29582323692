import type { ServerLink } from '../identity/server-link.js';
import type { Logger } from '../log/logger.js';
import type { FrontEndStats } from './front-end-stats.js';
import type { ProxyAuth } from './proxy-auth.js';

/** Limits every front end enforces; all in milliseconds or bytes. */
export interface FrontEndLimits {
  /** Concurrent local connections across the proxy listener and every forward. */
  readonly maxConnections: number;
  /** Largest HTTP request head accepted. */
  readonly headerBytes: number;
  /** Time a new connection has to complete its request (HTTP head, SOCKS negotiation). */
  readonly handshakeTimeoutMs: number;
  /** A tunnel with no byte in either direction for this long is closed (0 = never). */
  readonly idleTimeoutMs: number;
  /** An idle HTTP keep-alive connection is closed after this long. */
  readonly keepAliveTimeoutMs: number;
  /** How long to wait for the agent's dial to be answered. */
  readonly dialTimeoutMs: number;
}

/** What every front end shares: the server link, the log, local proxy auth, the limits and the counters. */
export interface FrontEndContext {
  readonly link: ServerLink;
  readonly log: Logger;
  readonly auth: ProxyAuth;
  readonly limits: FrontEndLimits;
  readonly stats: FrontEndStats;
}
