import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { createIssuanceToken } from '../../src/auth/issuance-token.js';
import { generateServiceAccountKey } from '../../src/pki/service-account.js';
import { createStandaloneCa } from '../../src/pki/standalone-ca.js';
import { IssueCertificateResponseSchema } from '../../src/protocol/gen/causeway/v1/identity_pb.js';
import { openFrame } from '../../src/protocol/frames.js';
import { GrpcStatus } from '../../src/protocol/grpc-status.js';
import { TestTunnel } from '../support/harness.js';
import { ISSUE, issuanceRequest, rawCall, type CredentialFile } from '../support/issuance.js';

describe('authentication at the server', () => {
  let tunnel: TestTunnel;
  let client: CredentialFile;

  before(async () => {
    tunnel = await TestTunnel.start({ allow: [{ host: '127.0.0.1', ports: [9] }] });
    client = JSON.parse(readFileSync(`${tunnel.dir}/client-1.json`, 'utf8')) as CredentialFile;
  });
  after(async () => tunnel?.stop());

  test('a registered key with a valid JWT gets a certificate naming its identity', async () => {
    const reply = await rawCall(tunnel.serverPort, client.caBundle, ISSUE, await issuanceRequest(client));
    assert.equal(reply.status, GrpcStatus.OK, reply.message);
    const response = fromBinary(IssueCertificateResponseSchema, reply.payload);
    assert.equal(response.identity, client.identity);
  });

  test('a Tunnel stream without a client certificate is refused', async () => {
    const reply = await rawCall(tunnel.serverPort, client.caBundle, '/causeway.v1.Tunnel/Connect', openFrame('127.0.0.1', 9));
    assert.equal(reply.status, GrpcStatus.UNAUTHENTICATED);
    for (const method of ['/causeway.v1.Tunnel/Register', '/causeway.v1.Tunnel/Accept']) {
      const r = await rawCall(tunnel.serverPort, client.caBundle, method, Buffer.alloc(0));
      assert.equal(r.status, GrpcStatus.UNAUTHENTICATED, method);
    }
  });

  test('a Tunnel stream with a certificate from another CA is refused', async () => {
    const rogue = await createStandaloneCa('Rogue CA');
    const cert = await rogue.issueServerCert(['client-1'], []);
    const reply = await rawCall(tunnel.serverPort, client.caBundle, '/causeway.v1.Tunnel/Connect', openFrame('127.0.0.1', 9), {
      cert: cert.certPem,
      key: cert.keyPem,
    });
    assert.equal(reply.status, GrpcStatus.UNAUTHENTICATED);
  });

  test('an expired JWT gets no certificate', async () => {
    const body = await issuanceRequest(client, (cnf) =>
      createIssuanceToken({
        identity: client.identity,
        keyId: client.keyId,
        privateJwk: client.privateKey,
        audience: client.audience,
        cnfJkt: cnf,
        now: new Date(Date.now() - 3600_000),
      }),
    );
    const reply = await rawCall(tunnel.serverPort, client.caBundle, ISSUE, body);
    assert.equal(reply.status, GrpcStatus.UNAUTHENTICATED);
    assert.match(reply.message, /expired/i);
  });

  test('a JWT signed by an unregistered key gets no certificate', async () => {
    const stranger = await generateServiceAccountKey();
    const body = await issuanceRequest(client, (cnf) =>
      createIssuanceToken({ identity: client.identity, keyId: stranger.keyId, privateJwk: stranger.privateJwk, audience: client.audience, cnfJkt: cnf }),
    );
    const reply = await rawCall(tunnel.serverPort, client.caBundle, ISSUE, body);
    assert.equal(reply.status, GrpcStatus.UNAUTHENTICATED);
    const forged = await issuanceRequest(client, (cnf) =>
      // The registered key id, but signed by another key.
      createIssuanceToken({ identity: client.identity, keyId: client.keyId, privateJwk: stranger.privateJwk, audience: client.audience, cnfJkt: cnf }),
    );
    const second = await rawCall(tunnel.serverPort, client.caBundle, ISSUE, forged);
    assert.equal(second.status, GrpcStatus.UNAUTHENTICATED);
  });

  test('a replayed JWT is refused', async () => {
    const body = await issuanceRequest(client);
    assert.equal((await rawCall(tunnel.serverPort, client.caBundle, ISSUE, body)).status, GrpcStatus.OK);
    const replay = await rawCall(tunnel.serverPort, client.caBundle, ISSUE, body);
    assert.equal(replay.status, GrpcStatus.UNAUTHENTICATED);
    assert.match(replay.message, /already been used|replay/i);
  });

  test('grpc-js interoperates: it obtains a certificate from the Identity service', async () => {
    const body = await issuanceRequest(client);
    const requestBytes = body.subarray(5);
    const channel = new grpc.Client(`127.0.0.1:${tunnel.serverPort}`, grpc.credentials.createSsl(Buffer.from(client.caBundle)), {
      'grpc.ssl_target_name_override': 'localhost',
      'grpc.default_authority': 'localhost',
    });
    try {
      const response = await new Promise<Buffer>((resolve, reject) => {
        channel.makeUnaryRequest(
          ISSUE,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from(requestBytes),
          (err, value) => (err ? reject(err) : resolve(value!)),
        );
      });
      const decoded = fromBinary(IssueCertificateResponseSchema, response);
      assert.equal(decoded.identity, client.identity);
      assert.ok(decoded.certificateDer.length > 100);
      const denied = await new Promise<grpc.ServiceError>((resolve) => {
        channel.makeUnaryRequest(ISSUE, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(requestBytes), (err) => resolve(err!));
      });
      assert.equal(denied.code, grpc.status.UNAUTHENTICATED);
    } finally {
      channel.close();
    }
  });
});
