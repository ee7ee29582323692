import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { CAUSEWAY_BIN } from '../../src/quickstart/launch.js';
import { AGENT, TestTunnel, TRUST_DOMAIN } from '../support/harness.js';
import { connectThroughProxy, listenTcp } from '../support/targets.js';

const execFileAsync = promisify(execFile);
const AUDIENCE = 'causeway-e2e';
const SUBJECT = 'system:serviceaccount:sourcegraph:frontend';
const FRONTEND = 'frontend@clients.test.causeway';

/** A minimal OIDC issuer on loopback: serves its JWKS and mints Kubernetes-style service-account tokens. */
async function startIssuer(): Promise<{ url: string; mint: (sub: string) => Promise<string>; jwksHits: () => number; close: () => Promise<void> }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'cluster-1', alg: 'ES256', use: 'sig' }] };
  let hits = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/jwks') {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(jwks));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    mint: (sub) =>
      new SignJWT({ sub, 'kubernetes.io': { namespace: 'sourcegraph' } })
        .setProtectedHeader({ alg: 'ES256', kid: 'cluster-1' })
        .setIssuer(url)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey),
    jwksHits: () => hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('workload identity: a client with no key, federated through a trusted OIDC issuer', () => {
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  let tunnel: TestTunnel;
  let echoTarget: Awaited<ReturnType<typeof listenTcp>>;

  before(async () => {
    issuer = await startIssuer();
    echoTarget = await listenTcp((socket) => socket.pipe(socket));
    tunnel = await TestTunnel.start({
      allow: [{ host: '127.0.0.1', ports: [echoTarget.port] }],
      acl: [{ clients: [FRONTEND], agents: [AGENT] }],
      server: { certLifetime: '5s', oidc: [{ issuer: issuer.url, audience: AUDIENCE, jwksUri: `${issuer.url}/jwks`, identities: { [SUBJECT]: FRONTEND } }] },
    });
  });
  after(async () => {
    await tunnel?.stop();
    await Promise.all([issuer?.close(), echoTarget?.close()]);
  });

  test('an OIDC-federated client reaches a private host through the tunnel', async () => {
    await execFileAsync(process.execPath, [CAUSEWAY_BIN, 'identity', 'create', '--data-dir', tunnel.dataDir, '--name', FRONTEND, '--role', 'client', '--federated']);
    const caBundle = (JSON.parse(readFileSync(join(tunnel.dir, 'client-1.json'), 'utf8')) as { caBundle: string }).caBundle;
    writeFileSync(join(tunnel.dir, 'frontend.token'), await issuer.mint(SUBJECT), { mode: 0o600 });
    writeFileSync(
      join(tunnel.dir, 'frontend.json'),
      JSON.stringify({
        version: 1,
        kind: 'workload',
        role: 'client',
        tokenFile: './frontend.token',
        server: tunnel.serverAddress,
        serverName: 'localhost',
        trustDomain: TRUST_DOMAIN,
        caBundle,
      }),
    );
    const client = await tunnel.startClient(FRONTEND, { credentials: './frontend.json' }, 'frontend');
    const socket = await connectThroughProxy(Number(client.ready['port']), `127.0.0.1:${echoTarget.port}`);
    const reply = await new Promise<string>((resolve) => {
      socket.once('data', (c: Buffer) => resolve(c.toString()));
      socket.resume();
      socket.write('hello from a pod');
    });
    socket.destroy();
    assert.equal(reply, 'hello from a pod');
    assert.ok(issuer.jwksHits() >= 1, 'the server fetched the JWKS over loopback');
    const audit = tunnel.auditRecords();
    assert.ok(audit.some((r) => r['type'] === 'token.accepted' && r['identity'] === FRONTEND && r['keyId'] === `oidc:${issuer.url}`));
    assert.ok(audit.some((r) => r['type'] === 'tunnel.opened' && r['client'] === FRONTEND));
  });

  test('a token whose subject maps to no identity gets no certificate, and the refusal is audited', async () => {
    const token = await issuer.mint('system:serviceaccount:default:intruder');
    // Re-point the running client at a token for an unmapped subject; its next renewal is refused.
    writeFileSync(join(tunnel.dir, 'frontend.token'), token, { mode: 0o600 });
    const deadline = Date.now() + 15_000;
    while (!tunnel.auditRecords().some((r) => r['type'] === 'token.rejected' && r['code'] === 'ERR_OIDC_UNMAPPED')) {
      assert.ok(Date.now() < deadline, 'no ERR_OIDC_UNMAPPED refusal within 15 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});
