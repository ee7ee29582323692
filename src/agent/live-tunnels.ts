import type { ClientHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { Allowlist } from '../policy/allowlist.js';
import type { Decision } from '../policy/decision.js';
import type { SelfEndpoints } from '../policy/self-endpoint.js';
import { ResetReason, resetFrame } from '../protocol/frames.js';
import { stillAllowed } from './check-dial.js';

/** A tunnel the agent is serving: what was asked, what was dialled, and its two ends. */
export interface LiveTunnel {
  readonly id: string;
  readonly client: string;
  readonly target: string;
  /** Canonical host asked for and canonical IP dialled. */
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly socket: Socket;
  readonly stream: ClientHttp2Stream;
}

/** The agent's live tunnels, kept so that a reloaded allowlist can end the ones it no longer allows. */
export class LiveTunnels {
  private readonly tunnels = new Map<string, LiveTunnel>();

  add(tunnel: LiveTunnel): void {
    this.tunnels.set(tunnel.id, tunnel);
  }

  delete(id: string): void {
    this.tunnels.delete(id);
  }

  /**
   * Checks every live tunnel against `allowlist` (name, port and the address actually dialled); each
   * one no longer allowed is reported to `onClose`, told why with a POLICY reset frame, and its socket
   * reset. Returns how many were closed.
   */
  closeDisallowed(allowlist: Allowlist, self: SelfEndpoints, onClose: (tunnel: LiveTunnel, verdict: Decision) => void): number {
    let closed = 0;
    for (const tunnel of [...this.tunnels.values()]) {
      const verdict = stillAllowed(tunnel.host, tunnel.port, tunnel.address, { allowlist, self });
      if (verdict.allow) continue;
      closed++;
      this.tunnels.delete(tunnel.id);
      onClose(tunnel, verdict);
      if (!tunnel.stream.destroyed) tunnel.stream.write(resetFrame(ResetReason.POLICY, "no longer allowed by the agent's allowlist"));
      tunnel.socket.resetAndDestroy();
    }
    return closed;
  }
}
