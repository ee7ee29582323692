import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { openTunnel, TunnelOpenError } from '../../../src/client/open-tunnel.js';
import type { ServerLink } from '../../../src/identity/server-link.js';
import { DialResult, openedFrame } from '../../../src/protocol/frames.js';

/**
 * A real HTTP/2 peer on loopback (cleartext: TLS is not what is under test) that plays the server's
 * Connect answers from a script, one per stream: `lose` resets the stream without any answer, as when
 * its connection is retired mid-open; `open` answers headers and an `opened` frame; `deny` answers a
 * refusal frame.
 */
type Answer = 'lose' | 'open' | 'deny';

describe('openTunnel', () => {
  let server: http2.Http2Server;
  let session: http2.ClientHttp2Session;
  let script: Answer[] = [];
  let streams = 0;
  before(async () => {
    server = http2.createServer();
    server.on('stream', (stream) => {
      streams++;
      const answer = script.shift() ?? 'lose';
      stream.on('error', () => undefined);
      if (answer === 'lose') {
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.write(openedFrame(answer === 'open' ? { result: DialResult.OK, remoteAddress: '10.0.0.5:443' } : { result: DialResult.DENIED, message: 'not on the allowlist' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    session.on('error', () => undefined);
  });
  after(async () => {
    session.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const link = { channel: async () => ({ openStream: (path: string) => session.request({ ':method': 'POST', ':path': path }, { endStream: false }) }) } as unknown as ServerLink;

  const cases: ReadonlyArray<readonly [string, Answer[], string | undefined, number]> = [
    ['opens at once when the first stream is answered', ['open'], undefined, 1],
    ['tries once more when the first stream is lost without an answer', ['lose', 'open'], undefined, 2],
    ['gives up after a second lost stream, saying the server closed it', ['lose', 'lose', 'open'], 'server-unavailable', 2],
    ['never retries an answer: a refusal is final', ['deny', 'open'], 'denied', 1],
  ];
  for (const [name, answers, failure, expectedStreams] of cases) {
    it(name, async () => {
      script = [...answers];
      streams = 0;
      const result = await openTunnel(link, 'git.corp.test', 443, 5000).then(
        (opened) => {
          opened.stream.close();
          return undefined;
        },
        (err: unknown) => {
          assert.ok(err instanceof TunnelOpenError, String(err));
          return err.failure;
        },
      );
      assert.equal(result, failure);
      assert.equal(streams, expectedStreams);
    });
  }
});
