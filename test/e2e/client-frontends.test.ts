import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { CAUSEWAY_BIN, launch, type LaunchedProgram } from '../../src/quickstart/launch.js';
import { AGENT, CLIENT, TestTunnel } from '../support/harness.js';
import { dial, readExactly, readUntilClose, socksConnect, socksConnectDomain, writeByteByByte } from '../support/proxy-clients.js';
import { selfSignedHttpsServer } from '../support/self-signed.js';
import { hashAfterEnd, listenTcp, sendRandom } from '../support/targets.js';

const execFileAsync = promisify(execFile);
const MiB = 1024 * 1024;
const LONG = { timeout: 120_000 };

describe('client front ends: CONNECT, HTTP proxy, SOCKS5, forwards, stdio', () => {
  let tunnel: TestTunnel;
  let scratch: string;
  let web: Awaited<ReturnType<typeof selfSignedHttpsServer>>;
  let halfClose: Awaited<ReturnType<typeof listenTcp>>;
  let forbidden: Awaited<ReturnType<typeof listenTcp>>;
  let v6: net.Server;
  let v6Port: number;
  let plain: http.Server;
  let plainPort: number;
  const plainSeen: { method: string; url: string; headers: http.IncomingHttpHeaders; remotePort: number; body: string }[] = [];
  let refusedPort: number;
  let authClient: LaunchedProgram;
  let noAgentClient: LaunchedProgram;
  let proxy: number;
  let baselineDescriptors: number;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'causeway-fe-'));
    web = await selfSignedHttpsServer(scratch, 'web.corp.test', 'hello over a self-signed certificate\n');
    halfClose = await listenTcp(hashAfterEnd);
    forbidden = await listenTcp((socket) => socket.end('should never be reached'));
    v6 = net.createServer({ allowHalfOpen: true }, hashAfterEnd);
    await new Promise<void>((resolve) => v6.listen(0, '::1', resolve));
    v6Port = (v6.address() as AddressInfo).port;
    plain = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        plainSeen.push({ method: req.method!, url: req.url!, headers: req.headers, remotePort: req.socket.remotePort!, body });
        const answer = JSON.stringify({ url: req.url, body });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer), 'keep-alive': 'timeout=5', 'x-origin': 'plain' });
        res.end(answer);
      });
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    plainPort = (plain.address() as AddressInfo).port;
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    refusedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    tunnel = await TestTunnel.start({
      allow: [
        { host: 'web.corp.test', ports: [web.port], allowLoopback: true },
        { host: 'plain.corp.test', ports: [plainPort], allowLoopback: true },
        { host: 'echo.corp.test', ports: [halfClose.port], allowLoopback: true },
        { host: '127.0.0.1', ports: [halfClose.port, refusedPort] },
        { host: '::1', ports: [v6Port] },
      ],
      hosts: { 'web.corp.test': '127.0.0.1', 'plain.corp.test': '127.0.0.1', 'echo.corp.test': '127.0.0.1', 'forbidden.corp.test': '127.0.0.1' },
      acl: [
        { clients: ['locked@clients.test.causeway'], agents: [AGENT] },
        { clients: ['lonely@clients.test.causeway'], agents: ['ghost@agents.test.causeway'] },
      ],
    });
    proxy = tunnel.proxyPort;
    baselineDescriptors = descriptorsOf(tunnel.client);

    await tunnel.createCredential('locked@clients.test.causeway', 'client');
    // The password comes from a file, as a Kubernetes Secret or systemd credential would give it.
    writeFileSync(join(tunnel.dir, 'proxy-password'), 's3cret:with colon\n', { mode: 0o600 });
    writeFileSync(
      join(tunnel.dir, 'locked.yaml'),
      stringify({
        credentials: './locked.json',
        listen: '127.0.0.1:0',
        admin: '127.0.0.1:0',
        auth: { username: 'build', passwordFile: './proxy-password' },
        forwards: [`127.0.0.1:0=echo.corp.test:${halfClose.port}`],
        limits: { handshakeTimeout: '1s' },
      }),
    );
    authClient = await launch(['client', '--config', join(tunnel.dir, 'locked.yaml'), '--forward', `127.0.0.1:0=127.0.0.1:${refusedPort}`]);
    tunnel.programs.push(authClient);
    await tunnel.createCredential('ghost@agents.test.causeway', 'agent'); // registered, never started
    await tunnel.createCredential('lonely@clients.test.causeway', 'client');
    noAgentClient = await tunnel.startClient('lonely@clients.test.causeway', { limits: { maxConnections: 2 } });
  });

  after(async () => {
    await tunnel?.stop();
    await Promise.all([web?.close(), halfClose?.close(), forbidden?.close()]);
    v6?.close();
    plain?.closeAllConnections();
    plain?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const curl = (args: string[]) => execFileAsync('curl', ['-sS', '--max-time', '60', ...args], { env: { ...process.env, no_proxy: '', NO_PROXY: '' } });

  test('curl -x http:// fetches from an HTTPS host with a self-signed certificate', LONG, async () => {
    const { stdout } = await curl(['--fail', '-x', `http://127.0.0.1:${proxy}`, '--cacert', web.certFile, `https://web.corp.test:${web.port}/`]);
    assert.equal(stdout, 'hello over a self-signed certificate\n');
  });

  test('curl --proxy socks5h:// fetches from the same host, the name resolved behind the agent', LONG, async () => {
    const { stdout } = await curl(['--fail', '--proxy', `socks5h://127.0.0.1:${proxy}`, '--cacert', web.certFile, `https://web.corp.test:${web.port}/`]);
    assert.equal(stdout, 'hello over a self-signed certificate\n');
  });

  test('plain HTTP proxy requests are forwarded with keep-alive, hop-by-hop headers removed', LONG, async () => {
    plainSeen.length = 0;
    const url = `http://plain.corp.test:${plainPort}`;
    const { stdout, stderr } = await curl([
      '-v', '--fail', '-x', `http://127.0.0.1:${proxy}`,
      '-H', 'Connection: X-Hop', '-H', 'X-Hop: drop me', '-H', 'Keep-Alive: timeout=9', '-H', 'X-End: keep me',
      `${url}/first?q=1`, `${url}/second`,
    ]);
    assert.equal(stdout, `${JSON.stringify({ url: '/first?q=1', body: '' })}${JSON.stringify({ url: '/second', body: '' })}`);
    assert.match(stderr, /Re-using existing connection/, 'curl should reuse its connection to the proxy');
    assert.equal(plainSeen.length, 2);
    for (const seen of plainSeen) {
      assert.equal(seen.headers['host'], `plain.corp.test:${plainPort}`);
      assert.equal(seen.headers['x-end'], 'keep me');
      assert.equal(seen.headers['x-hop'], undefined);
      assert.equal(seen.headers['keep-alive'], undefined);
      assert.equal(seen.headers['proxy-connection'], undefined);
      assert.equal(seen.headers['via'], '1.1 causeway');
    }
    assert.equal(plainSeen[0]!.remotePort, plainSeen[1]!.remotePort, 'the second request should reuse the pooled tunnel');
    assert.doesNotMatch(stderr, /< [Kk]eep-[Aa]live: timeout=5/, "the target's hop-by-hop Keep-Alive must not reach the client");
    assert.match(stderr, /< x-origin: plain/);
    assert.match(stderr, /< Via: 1\.1 causeway/);
  });

  test('a POST body is forwarded, and Proxy-Authorization never reaches the target', LONG, async () => {
    plainSeen.length = 0;
    const authPort = Number(authClient.ready['port']);
    const { stdout } = await curl(['--fail', '-x', `http://build:s3cret%3Awith%20colon@127.0.0.1:${authPort}`, '--data-binary', 'payload=1', `http://plain.corp.test:${plainPort}/post`]);
    assert.equal(stdout, JSON.stringify({ url: '/post', body: 'payload=1' }));
    assert.equal(plainSeen.length, 1);
    assert.equal(plainSeen[0]!.method, 'POST');
    assert.equal(plainSeen[0]!.headers['proxy-authorization'], undefined);
  });

  test('local proxy auth: 407 without or with wrong credentials; SOCKS5 username/password', LONG, async () => {
    const authPort = Number(authClient.ready['port']);
    for (const creds of ['', 'build:wrong@']) {
      const { stdout } = await curl(['-o', '/dev/null', '-w', '%{http_code}', '-x', `http://${creds}127.0.0.1:${authPort}`, `http://plain.corp.test:${plainPort}/`]);
      assert.equal(stdout, '407', `credentials ${JSON.stringify(creds)}`);
    }
    const raw = await dial(authPort);
    raw.write(`CONNECT echo.corp.test:${halfClose.port} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const refused = (await readUntilClose(raw)).data.toString();
    assert.match(refused, /^HTTP\/1\.1 407 /);
    assert.match(refused, /\r\nProxy-Authenticate: Basic realm="causeway"/);

    const { stdout } = await curl(['--fail', '--proxy', `socks5h://build:s3cret%3Awith%20colon@127.0.0.1:${authPort}`, '--cacert', web.certFile, `https://web.corp.test:${web.port}/`]);
    assert.equal(stdout, 'hello over a self-signed certificate\n');
    const wrong = await curl(['--proxy', `socks5h://build:nope@127.0.0.1:${authPort}`, `http://plain.corp.test:${plainPort}/`]).then(
      () => assert.fail('wrong SOCKS credentials must fail'),
      (e: { stderr: string }) => e.stderr,
    );
    assert.match(wrong, /authentication failed|User was rejected|SOCKS5/i);

    const noAuth = await dial(authPort);
    noAuth.write(Buffer.from([0x05, 0x01, 0x00]));
    assert.deepEqual([...(await readUntilClose(noAuth)).data], [0x05, 0xff], 'no acceptable method when auth is on');
  });

  test('CONNECT conformance: a TLS ClientHello in the same packet as the CONNECT head', LONG, async () => {
    const raw = await dial(proxy);
    raw.setNoDelay(true);
    const head = Buffer.from(`CONNECT web.corp.test:${web.port} HTTP/1.1\r\nHost: web.corp.test:${web.port}\r\n\r\n`);
    let firstWrite: Buffer | undefined;
    let responseHead = Buffer.alloc(0);
    let inTunnel = false;
    const shim: Duplex = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, callback) {
        if (!firstWrite) {
          firstWrite = Buffer.concat([head, chunk]);
          raw.write(firstWrite, callback);
        } else raw.write(chunk, callback);
      },
      final(callback) {
        raw.end();
        callback();
      },
    });
    raw.on('data', (chunk: Buffer) => {
      if (inTunnel) return void shim.push(chunk);
      responseHead = Buffer.concat([responseHead, chunk]);
      const end = responseHead.indexOf('\r\n\r\n');
      if (end < 0) return;
      inTunnel = true;
      const rest = responseHead.subarray(end + 4);
      if (rest.length > 0) shim.push(rest);
    });
    raw.on('end', () => shim.push(null));
    const secure = tls.connect({ socket: shim, servername: 'web.corp.test', ca: [readFileSync(web.certFile, 'utf8')] });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    secure.end(`GET / HTTP/1.1\r\nHost: web.corp.test\r\nConnection: close\r\n\r\n`);
    const answer = (await readUntilClose(secure as unknown as net.Socket)).data.toString();
    raw.destroy();
    assert.match(responseHead.toString(), /^HTTP\/1\.1 200 /);
    assert.ok(firstWrite && firstWrite[head.length] === 0x16, 'the ClientHello went out in the same write as the CONNECT head');
    assert.match(answer, /hello over a self-signed certificate/);
  });

  test('CONNECT conformance: a CONNECT sent one byte per write', LONG, async () => {
    const raw = await dial(proxy);
    raw.setNoDelay(true);
    await writeByteByByte(raw, Buffer.from(`CONNECT 127.0.0.1:${halfClose.port} HTTP/1.1\r\nHost: 127.0.0.1:${halfClose.port}\r\n\r\n`));
    const status = await readExactly(raw, 'HTTP/1.1 200 Connection Established\r\n\r\n'.length);
    assert.equal(status.toString(), 'HTTP/1.1 200 Connection Established\r\n\r\n');
    raw.end('ping');
    assert.equal((await readUntilClose(raw)).data.toString(), createHash('sha256').update('ping').digest('hex'));
  });

  test('CONNECT conformance: a denied CONNECT with a pipelined request gets exactly one 403 and a close', LONG, async () => {
    plainSeen.length = 0;
    const raw = await dial(proxy);
    raw.write(
      `CONNECT forbidden.corp.test:${forbidden.port} HTTP/1.1\r\nHost: forbidden.corp.test\r\n\r\n` +
        `GET http://plain.corp.test:${plainPort}/smuggled HTTP/1.1\r\nHost: plain.corp.test:${plainPort}\r\n\r\n`,
    );
    const { data, how } = await readUntilClose(raw);
    const text = data.toString();
    assert.equal(how, 'end');
    assert.match(text, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.equal(text.split('HTTP/1.1 ').length - 1, 1, `exactly one response, got: ${text}`);
    assert.match(text, /\r\n\r\ncauseway: denied: [^\n]+\n$/);
    assert.equal(plainSeen.length, 0, 'the pipelined request must not be forwarded');
    assert.equal(forbidden.accepted(), 0);
  });

  test('malformed HTTP proxy requests get 400 with a one-line reason, and https:// in absolute form is refused', LONG, async () => {
    const cases: ReadonlyArray<readonly [string, RegExp]> = [
      ['CONNECT /path HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 400 [^]*causeway: CONNECT needs a host:port target\n$/],
      ['CONNECT web.corp.test HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 400 [^]*host:port/],
      ['GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 400 [^]*this is a proxy/],
      [`GET https://web.corp.test:${web.port}/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, /^HTTP\/1\.1 400 [^]*use CONNECT/],
      ['GET http://plain.corp.test/ HTTP/1.1\r\nBad Header\r\n\r\n', /^HTTP\/1\.1 400 [^]*malformed HTTP request/],
    ];
    for (const [request, expected] of cases) {
      const raw = await dial(proxy);
      raw.write(request);
      assert.match((await readUntilClose(raw)).data.toString(), expected, JSON.stringify(request));
    }
  });

  test('SOCKS5 conformance: 0 methods, a short greeting, version 4, greeting+request in one write', LONG, async () => {
    const zero = await dial(proxy);
    zero.write(Buffer.from([0x05, 0x00]));
    assert.deepEqual([...(await readUntilClose(zero)).data], [0x05, 0xff]);

    const short = await dial(proxy);
    short.end(Buffer.from([0x05, 0x03, 0x00]));
    const shortResult = await readUntilClose(short);
    assert.equal(shortResult.data.length, 0, 'nothing is answered to an incomplete greeting');
    assert.notEqual(shortResult.how, 'timeout');

    const stalled = await dial(Number(authClient.ready['port']));
    const stalledAt = Date.now();
    stalled.write(Buffer.from([0x05, 0x03, 0x02]));
    const stalledResult = await readUntilClose(stalled);
    assert.equal(stalledResult.data.length, 0);
    assert.ok(Date.now() - stalledAt < 8000, 'the handshake deadline (1 s) closes a stalled greeting');

    const v4 = await dial(proxy);
    const v4Request = Buffer.from([0x04, 0x01, 0, 0, 127, 0, 0, 1, 0]);
    v4Request.writeUInt16BE(halfClose.port, 2);
    v4.write(v4Request);
    assert.deepEqual([...(await readUntilClose(v4)).data], [0x00, 0x5b, 0, 0, 0, 0, 0, 0]);

    const oneWrite = await dial(proxy);
    oneWrite.write(Buffer.concat([Buffer.from([0x05, 0x01, 0x00]), socksConnectDomain('echo.corp.test', halfClose.port), Buffer.from('early')]));
    const replies = await readExactly(oneWrite, 12);
    assert.deepEqual([...replies.subarray(0, 4)], [0x05, 0x00, 0x05, 0x00]);
    oneWrite.end(' data');
    assert.equal((await readUntilClose(oneWrite)).data.toString(), createHash('sha256').update('early data').digest('hex'));
  });

  test('SOCKS5 addresses and commands: IPv4, IPv6, BIND and UDP → 0x07, unknown type → 0x08', LONG, async () => {
    const v4 = Buffer.from([0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, 0, 0]);
    v4.writeUInt16BE(halfClose.port, 8);
    const ipv4 = await socksConnect(proxy, v4);
    assert.equal(ipv4.reply, 0x00);
    ipv4.socket.end('four');
    assert.equal((await readUntilClose(ipv4.socket)).data.toString(), createHash('sha256').update('four').digest('hex'));

    const v6Request = Buffer.alloc(22);
    v6Request.set([0x05, 0x01, 0x00, 0x04]);
    v6Request[19] = 1;
    v6Request.writeUInt16BE(v6Port, 20);
    const ipv6 = await socksConnect(proxy, v6Request);
    assert.equal(ipv6.reply, 0x00);
    ipv6.socket.end('six');
    assert.equal((await readUntilClose(ipv6.socket)).data.toString(), createHash('sha256').update('six').digest('hex'));

    for (const [command, type, expected] of [
      [0x02, 0x01, 0x07],
      [0x03, 0x01, 0x07],
      [0x01, 0x05, 0x08],
    ] as const) {
      const socket = await dial(proxy);
      socket.write(Buffer.from([0x05, 0x01, 0x00]));
      await readExactly(socket, 2);
      socket.write(Buffer.from([0x05, command, 0x00, type, 127, 0, 0, 1, 0, 80]));
      const { data } = await readUntilClose(socket);
      assert.equal(data[1], expected, `command ${command} type ${type}`);
    }
  });

  test('errors a user can act on: 403/0x02 denied, 502/0x05 refused, 503 + Retry-After/0x03 no agent', LONG, async () => {
    const status = async (port: number, target: string) => {
      const raw = await dial(port);
      raw.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
      return (await readUntilClose(raw)).data.toString();
    };
    assert.match(await status(proxy, `forbidden.corp.test:${forbidden.port}`), /^HTTP\/1\.1 403 [^]*causeway: denied: /);
    assert.match(await status(proxy, `127.0.0.1:${refusedPort}`), /^HTTP\/1\.1 502 [^]*causeway: refused: /);
    const noAgent = await status(Number(noAgentClient.ready['port']), `web.corp.test:${web.port}`);
    assert.match(noAgent, /^HTTP\/1\.1 503 /);
    assert.match(noAgent, /\r\nRetry-After: \d+\r\n/);
    assert.match(noAgent, /causeway: no-agent: [^\n]+\n$/);

    assert.equal((await socksConnect(proxy, socksConnectDomain('forbidden.corp.test', forbidden.port))).reply, 0x02);
    const refused = Buffer.from([0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, 0, 0]);
    refused.writeUInt16BE(refusedPort, 8);
    assert.equal((await socksConnect(proxy, refused)).reply, 0x05);
    assert.equal((await socksConnect(Number(noAgentClient.ready['port']), socksConnectDomain('web.corp.test', web.port))).reply, 0x03);
    assert.equal(forbidden.accepted(), 0);
  });

  test('limits: 431 for an oversized head, 408 for a slow one, the connection cap told in each protocol', LONG, async () => {
    const big = await dial(proxy);
    big.write(`GET http://plain.corp.test:${plainPort}/ HTTP/1.1\r\nHost: plain.corp.test\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match((await readUntilClose(big)).data.toString(), /^HTTP\/1\.1 431 [^]*exceeds 16384 bytes/);

    const slow = await dial(Number(authClient.ready['port']));
    const slowAt = Date.now();
    slow.write('GET http://plain.corp.test/ HTTP/1.1\r\nHost: pla');
    assert.match((await readUntilClose(slow)).data.toString(), /^HTTP\/1\.1 408 /);
    assert.ok(Date.now() - slowAt < 8000, 'the 1 s handshake deadline applies');

    const lonelyPort = Number(noAgentClient.ready['port']);
    const held = [await dial(lonelyPort), await dial(lonelyPort)];
    const overHttp = await dial(lonelyPort);
    overHttp.write(`CONNECT web.corp.test:${web.port} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const httpAnswer = (await readUntilClose(overHttp)).data.toString();
    assert.match(httpAnswer, /^HTTP\/1\.1 503 [^]*Retry-After: 1\r\n[^]*causeway: limit: more than 2 connections/);
    const overSocks = await dial(lonelyPort);
    overSocks.write(Buffer.from([0x05, 0x01, 0x00]));
    assert.deepEqual([...(await readUntilClose(overSocks)).data], [0x05, 0xff]);
    for (const socket of held) socket.destroy();
    let socks: Awaited<ReturnType<typeof socksConnect>> | undefined;
    const deadline = Date.now() + 10_000;
    // Polls until the proxy has seen the two closes; each refused attempt is itself answered 0xFF.
    while (!socks) {
      socks = await socksConnect(lonelyPort, socksConnectDomain('web.corp.test', web.port)).catch(() => undefined);
      if (socks) break;
      if (Date.now() > deadline) assert.fail('slots freed by closed connections are not reused');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(socks.reply, 0x03, 'once the held connections close, a new one is served again');
  });

  test('a plain HTTP client that half-closes after its request still gets the answer', LONG, async () => {
    const raw = await dial(proxy);
    raw.end(`GET http://plain.corp.test:${plainPort}/half HTTP/1.1\r\nHost: plain.corp.test\r\n\r\n`);
    const text = (await readUntilClose(raw)).data.toString();
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(text.endsWith(JSON.stringify({ url: '/half', body: '' })), text);
  });

  test('fixed forwards from the config and from --forward', LONG, async () => {
    const [fromConfig, fromFlag] = authClient.ready['forwardPorts'] as number[];
    const socket = await dial(fromConfig!);
    const answer = readUntilClose(socket);
    const sent = await sendRandom(socket, 256 * 1024);
    socket.end();
    assert.equal((await answer).data.toString(), sent);
    const refused = await dial(fromFlag!);
    const result = await readUntilClose(refused);
    assert.equal(result.data.length, 0);
    assert.notEqual(result.how, 'timeout', 'a forward whose target refuses is closed');
    const response = await fetch(`http://127.0.0.1:${String(authClient.ready['adminPort'])}/status`);
    const counters = (await response.json()) as { tunnelsOpened: Record<string, number>; tunnelsRefused: Record<string, number> };
    assert.ok(counters.tunnelsOpened['forward']! >= 1, 'forward tunnels are counted');
    assert.ok(counters.tunnelsRefused['refused']! >= 1, "the forward's refused target is counted");
  });

  test('a 1 MiB upload answered only after end of input, through CONNECT, SOCKS5 and stdio', LONG, async () => {
    const payload = randomBytes(MiB);
    const expected = createHash('sha256').update(payload).digest('hex');

    const viaConnect = await dial(proxy);
    viaConnect.write(`CONNECT echo.corp.test:${halfClose.port} HTTP/1.1\r\nHost: echo.corp.test\r\n\r\n`);
    await readExactly(viaConnect, 'HTTP/1.1 200 Connection Established\r\n\r\n'.length);
    const connectAnswer = readUntilClose(viaConnect);
    viaConnect.end(payload);
    assert.equal((await connectAnswer).data.toString(), expected, 'CONNECT');

    const viaSocks = await socksConnect(proxy, socksConnectDomain('echo.corp.test', halfClose.port));
    assert.equal(viaSocks.reply, 0);
    const socksAnswer = readUntilClose(viaSocks.socket);
    viaSocks.socket.end(payload);
    assert.equal((await socksAnswer).data.toString(), expected, 'SOCKS5');

    const stdio = await runStdio(['--config', tunnel.clientConfigPath(), 'echo.corp.test', String(halfClose.port)], payload);
    assert.equal(stdio.stderr, '');
    assert.equal(stdio.code, 0);
    assert.equal(stdio.stdout.toString(), expected, 'stdio');
  });

  test('stdio with --credentials: a denied target exits 1 with one line on stderr', LONG, async () => {
    const result = await runStdio(['--credentials', join(tunnel.dir, `${CLIENT.split('@')[0]}.json`), 'forbidden.corp.test', String(forbidden.port)], Buffer.alloc(0));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^causeway client stdio forbidden\.corp\.test:\d+: denied: [^\n]+\n$/);
  });

  test('stdio when the server cannot be reached: exit 1 and exactly one line, within the dial timeout', LONG, async () => {
    const file = join(tunnel.dir, 'unreachable.yaml');
    writeFileSync(file, stringify({ credentials: './client-1.json', server: `127.0.0.1:${refusedPort}`, limits: { dialTimeout: '2s' } }));
    const started = Date.now();
    const result = await runStdio(['--config', file, 'echo.corp.test', String(halfClose.port)], Buffer.from('never sent'));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^causeway client stdio echo\.corp\.test:\d+: server-unavailable: [^\n]+\n$/);
    assert.equal(result.stdout.length, 0);
    assert.ok(Date.now() - started < 15_000, 'gives up after about the 2 s dial timeout');
  });

  test('a proxy listening beyond loopback without auth is refused unless allowOpenProxy is set', LONG, async () => {
    const file = join(tunnel.dir, 'open.yaml');
    writeFileSync(file, stringify({ credentials: './client-1.json', listen: '0.0.0.0:0' }));
    const refused = await execFileAsync(process.execPath, [CAUSEWAY_BIN, 'client', '--config', file]).then(
      () => assert.fail('must not start'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^causeway: config error: .*open\.yaml: listen: .*allowOpenProxy: true\n$/);
  });

  test('after all of this the client is alive and holds no leftover connections', LONG, async () => {
    assert.equal(tunnel.client.child.exitCode, null);
    const { stdout } = await curl(['--fail', '-x', `http://127.0.0.1:${proxy}`, '--cacert', web.certFile, `https://web.corp.test:${web.port}/`]);
    assert.equal(stdout, 'hello over a self-signed certificate\n');
    // Every local connection of the tests above has closed; a leaked socket would keep its descriptor.
    const deadline = Date.now() + 30_000;
    let open = descriptorsOf(tunnel.client);
    while (open > baselineDescriptors + 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      open = descriptorsOf(tunnel.client);
    }
    assert.ok(open <= baselineDescriptors + 2, `the client holds ${open} descriptors, ${baselineDescriptors} at the start`);

    const status = async (): Promise<{ activeConnections: number; activeTunnels: number; tunnelsOpened: Record<string, number>; tunnelsRefused: Record<string, number>; handshakesRefused: Record<string, number> }> => {
      const response = await fetch(`http://127.0.0.1:${String(tunnel.client.ready['adminPort'])}/status`);
      return (await response.json()) as Awaited<ReturnType<typeof status>>;
    };
    let counters = await status();
    while ((counters.activeConnections > 0 || counters.activeTunnels > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      counters = await status();
    }
    assert.equal(counters.activeConnections, 0, 'every local connection was released');
    assert.equal(counters.activeTunnels, 0, 'every tunnel was closed');
    for (const frontEnd of ['connect', 'http', 'socks5']) assert.ok(counters.tunnelsOpened[frontEnd]! > 0, `${frontEnd} tunnels are counted`);
    assert.ok(counters.tunnelsRefused['denied']! >= 3);
    assert.ok(counters.tunnelsRefused['refused']! >= 2);
    assert.ok(counters.handshakesRefused['not-a-proxy-protocol']! >= 1, 'the SOCKS4 client is counted');
    assert.ok(counters.handshakesRefused['malformed']! >= 2, 'the oversized head and bad SOCKS requests are counted');
  });
});

function descriptorsOf(program: LaunchedProgram): number {
  return readdirSync(`/proc/${program.child.pid}/fd`).length;
}

function runStdio(args: string[], input: Buffer): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CAUSEWAY_BIN, 'client', 'stdio', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
