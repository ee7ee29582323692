import type { Readable, Writable } from 'node:stream';
import type { FrontEndContext } from './front-end-context.js';
import { trackTunnel, tryOpenTunnel } from './relay.js';
import { TunnelDuplex } from './tunnel-duplex.js';

/** How a stdio session ended: exit code 0 for a clean close in both directions, else a one-line reason. */
export type StdioOutcome = { ok: true; bytesSent: number; bytesReceived: number } | { ok: false; reason: string };

/**
 * Joins standard input and output to one tunnel, for ssh's `ProxyCommand` and git's `core.sshCommand`.
 * End of input is forwarded as a half-close and output keeps flowing until the target closes its side;
 * the session is clean when both directions ended with a fin and the server closed the stream with OK.
 */
export async function runStdio(ctx: FrontEndContext, host: string, port: number, input: Readable, output: Writable): Promise<StdioOutcome> {
  const attempt = await tryOpenTunnel(ctx, 'stdio', host, port);
  if (!attempt.ok) return { ok: false, reason: `${attempt.failure}: ${attempt.reason}` };
  const tunnel = new TunnelDuplex(attempt.tunnel, { allowHalfOpen: true });
  trackTunnel(ctx, 'stdio', tunnel);
  return new Promise<StdioOutcome>((resolve) => {
    let settled = false;
    let sentFin = false;
    let outputDone = false;
    const settle = (outcome: StdioOutcome): void => {
      if (settled) return;
      settled = true;
      input.unpipe(tunnel);
      input.pause();
      resolve(outcome);
    };
    const maybeDone = (): void => {
      if (sentFin && outputDone) settle({ ok: true, bytesSent: tunnel.bytesWritten, bytesReceived: tunnel.bytesRead });
    };
    tunnel.on('error', (err) => settle({ ok: false, reason: err.message }));
    output.on('error', (err) => {
      tunnel.destroy();
      settle({ ok: false, reason: `standard output: ${err.message}` });
    });
    input.on('error', (err) => {
      tunnel.destroy();
      settle({ ok: false, reason: `standard input: ${err.message}` });
    });
    tunnel.on('finish', () => {
      sentFin = true;
      maybeDone();
    });
    tunnel.pipe(output, { end: false });
    tunnel.on('end', () => {
      output.write('', () => {
        outputDone = true;
        maybeDone();
      });
    });
    input.pipe(tunnel);
  });
}
