import type { Http2Session } from 'node:http2';

export interface KeepaliveOptions {
  intervalMs: number;
  timeoutMs: number;
  onDead: (reason: string) => void;
}

/**
 * Sends HTTP/2 PINGs on an otherwise idle session and declares the peer dead when one goes unanswered
 * past its deadline, so a black-holed connection is found instead of looking alive forever.
 */
export function startKeepalive(session: Http2Session, options: KeepaliveOptions): () => void {
  let deadline: NodeJS.Timeout | undefined;
  const interval = setInterval(() => {
    if (session.destroyed || deadline) return;
    deadline = setTimeout(() => {
      stop();
      options.onDead(`no PING answer within ${options.timeoutMs} ms`);
    }, options.timeoutMs);
    deadline.unref();
    const sent = session.ping((err) => {
      if (deadline) clearTimeout(deadline);
      deadline = undefined;
      // A session closing gracefully (a party retiring its connection after certificate rotation)
      // cancels every PING at once; its streams are alive and must be left to finish.
      const retiring = session.closed && (err as NodeJS.ErrnoException | null)?.code === 'ERR_HTTP2_PING_CANCEL';
      if (err && !session.destroyed && !retiring) options.onDead(`PING failed: ${err.message}`);
    });
    if (!sent && deadline) {
      clearTimeout(deadline);
      deadline = undefined;
    }
  }, options.intervalMs);
  interval.unref();
  const stop = (): void => {
    clearInterval(interval);
    if (deadline) clearTimeout(deadline);
    deadline = undefined;
  };
  session.once('close', stop);
  return stop;
}
