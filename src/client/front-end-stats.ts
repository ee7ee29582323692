import type { TunnelFailure } from './open-tunnel.js';

/** How a front end names itself in logs and counters. */
export type FrontEndName = 'connect' | 'http' | 'socks5' | 'forward' | 'stdio';

/** Why a local connection was turned away before it asked for a tunnel. */
export type HandshakeRefusal = 'deadline' | 'malformed' | 'auth' | 'not-a-proxy-protocol' | 'over-cap';

/**
 * Counters of the client's front ends, served as JSON on the admin listener's `/status`. Few, fixed
 * keys (front end, failure kind, refusal reason), so they map one to one onto labelled metrics.
 */
export class FrontEndStats {
  activeConnections = 0;
  activeTunnels = 0;
  readonly tunnelsOpened: Record<FrontEndName, number> = { connect: 0, http: 0, socks5: 0, forward: 0, stdio: 0 };
  readonly tunnelsRefused: Partial<Record<TunnelFailure, number>> = {};
  readonly handshakesRefused: Partial<Record<HandshakeRefusal, number>> = {};

  refused(failure: TunnelFailure): void {
    this.tunnelsRefused[failure] = (this.tunnelsRefused[failure] ?? 0) + 1;
  }

  handshakeRefused(reason: HandshakeRefusal): void {
    this.handshakesRefused[reason] = (this.handshakesRefused[reason] ?? 0) + 1;
  }

  snapshot(): Record<string, unknown> {
    return {
      activeConnections: this.activeConnections,
      activeTunnels: this.activeTunnels,
      tunnelsOpened: { ...this.tunnelsOpened },
      tunnelsRefused: { ...this.tunnelsRefused },
      handshakesRefused: { ...this.handshakesRefused },
    };
  }
}
