import type { Socket } from 'node:net';
import { publishClientTunnel } from '../metrics/client-tunnels.js';
import { spliceSocket } from '../protocol/tunnel-endpoint.js';
import type { FrontEndContext } from './front-end-context.js';
import type { FrontEndName } from './front-end-stats.js';
import { openTunnel, TunnelOpenError, type OpenedTunnel, type TunnelFailure } from './open-tunnel.js';

export type TunnelAttempt = { ok: true; tunnel: OpenedTunnel } | { ok: false; failure: TunnelFailure; reason: string };

/** Opens a tunnel for a front end and logs a refusal; never throws. */
export async function tryOpenTunnel(ctx: FrontEndContext, frontEnd: FrontEndName, host: string, port: number): Promise<TunnelAttempt> {
  const started = Date.now();
  try {
    const tunnel = await openTunnel(ctx.link, host, port, ctx.limits.dialTimeoutMs);
    publishClientTunnel({ event: 'opened', setupMs: Date.now() - started });
    return { ok: true, tunnel };
  } catch (err) {
    const failure = err instanceof TunnelOpenError ? err.failure : 'error';
    const reason = (err as Error).message;
    publishClientTunnel({ event: 'refused', failure, setupMs: Date.now() - started });
    ctx.stats.refused(failure);
    ctx.log.info({ frontEnd, host, port, failure, reason }, 'tunnel refused');
    return { ok: false, failure, reason };
  }
}

/** Joins a local socket to an opened tunnel until both ends are done; `onDone` runs once at the end. */
export function relay(ctx: FrontEndContext, frontEnd: FrontEndName, socket: Socket, tunnel: OpenedTunnel, target: { host: string; port: number }, onDone: () => void): void {
  const started = Date.now();
  ctx.stats.tunnelsOpened[frontEnd]++;
  ctx.stats.activeTunnels++;
  ctx.log.debug({ frontEnd, ...target, remote: tunnel.remoteAddress }, 'tunnel opened');
  spliceSocket(socket, tunnel.stream, tunnel.reader, {
    idleTimeoutMs: ctx.limits.idleTimeoutMs,
    onClose: (result) => {
      publishClientTunnel({ event: 'closed' });
      ctx.stats.activeTunnels--;
      onDone();
      ctx.log.debug({ frontEnd, ...target, ...result, durationMs: Date.now() - started }, 'tunnel closed');
    },
  });
}

/** Counts a tunnel that a front end uses through its own stream adapter rather than {@link relay}. */
export function trackTunnel(ctx: FrontEndContext, frontEnd: FrontEndName, stream: { once(event: 'close', listener: () => void): unknown }): void {
  ctx.stats.tunnelsOpened[frontEnd]++;
  ctx.stats.activeTunnels++;
  stream.once('close', () => {
    publishClientTunnel({ event: 'closed' });
    ctx.stats.activeTunnels--;
  });
}
