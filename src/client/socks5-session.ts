import type { Socket } from 'node:net';
import { SOCKS_FOR_FAILURE } from './failure-replies.js';
import type { FrontEndContext } from './front-end-context.js';
import { relay, tryOpenTunnel } from './relay.js';
import { Socks5Negotiation, socksReply } from './socks5.js';
import { SocksReply } from './socks5-constants.js';

/**
 * Runs a SOCKS5 connection: negotiation (with RFC 1929 auth when configured), then one tunnel. The
 * success reply is sent only once the agent's dial succeeded; a failure gets its exact reply code.
 * `handshakeDone` stops the handshake deadline; `onDone` runs once when the connection is over.
 */
export function runSocks5(ctx: FrontEndContext, socket: Socket, first: Buffer, handshakeDone: () => void, onDone: () => void): void {
  const negotiation = new Socks5Negotiation({ required: ctx.auth.required, check: (u, p) => ctx.auth.check(u, p) });
  const onData = (chunk: Buffer): void => {
    for (const action of negotiation.push(chunk)) {
      switch (action.kind) {
        case 'write':
          socket.write(action.bytes);
          break;
        case 'close':
          socket.off('data', onData);
          ctx.stats.handshakeRefused(action.auth ? 'auth' : 'malformed');
          ctx.log.info({ frontEnd: 'socks5', reason: action.reason }, 'SOCKS5 negotiation refused');
          socket.end();
          socket.destroySoon();
          return;
        case 'connect':
          socket.off('data', onData);
          socket.pause();
          handshakeDone();
          void connect(ctx, socket, action.host, action.port, action.rest, onDone);
          return;
      }
    }
  };
  socket.on('data', onData);
  socket.once('close', onDone);
  onData(first);
  socket.resume();
}

async function connect(ctx: FrontEndContext, socket: Socket, host: string, port: number, rest: Buffer, onDone: () => void): Promise<void> {
  const attempt = await tryOpenTunnel(ctx, 'socks5', host, port);
  if (!attempt.ok) {
    socket.end(socksReply(SOCKS_FOR_FAILURE[attempt.failure]));
    socket.destroySoon();
    return;
  }
  if (socket.destroyed) {
    attempt.tunnel.stream.close();
    return;
  }
  socket.write(socksReply(SocksReply.SUCCEEDED));
  if (rest.length > 0) socket.unshift(rest);
  relay(ctx, 'socks5', socket, attempt.tunnel, { host, port }, onDone);
}
