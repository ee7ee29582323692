import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, createServer } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { AuthError } from '../../../src/auth/errors.js';
import { peerIdentityFromCertificate } from '../../../src/auth/peer-identity.js';
import type { PeerIdentity } from '../../../src/auth/peer-identity.js';
import { CA_FILES, initCa, loadCa } from '../../../src/pki/ca.js';
import type { CertificateAuthority } from '../../../src/pki/ca.js';
import { FileSigner } from '../../../src/pki/file-signer.js';
import { generateLeafKey } from '../../../src/pki/leaf-key.js';
import { endEntityExtensions, randomSerialHex } from '../../../src/pki/profiles.js';
import { createStandaloneCa } from '../../../src/pki/standalone-ca.js';
import { x509 } from '../../../src/pki/x509.js';

const TRUST_DOMAIN = 'acme.causeway';
const IDENTITY = 'acme-onprem@agents.acme.causeway';
const HOUR_MS = 60 * 60 * 1000;

describe('peerIdentityFromCertificate', () => {
  let workDir: string;
  let ca: CertificateAuthority;
  let signer: FileSigner;

  async function craft(
    subjectAltNames: x509.JsonGeneralName[],
    extendedKeyUsages: x509.ExtendedKeyUsage[] = [x509.ExtendedKeyUsage.clientAuth],
    extraExtensions: (extensions: x509.Extension[]) => x509.Extension[] = (extensions) => extensions,
  ): Promise<Uint8Array> {
    const { keyPair } = await generateLeafKey();
    const publicKey = await x509.PublicKey.create(keyPair.publicKey);
    const extensions = await endEntityExtensions({ publicKey, issuer: signer.certificate, subjectAltNames, extendedKeyUsages });
    const cert = await signer.sign({
      subject: [{ CN: ['crafted'] }],
      publicKey,
      serialNumber: randomSerialHex(),
      notBefore: new Date(),
      notAfter: new Date(Date.now() + HOUR_MS),
      extensions: extraExtensions(extensions),
    });
    return new Uint8Array(cert.rawData);
  }

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'causeway-peer-'));
    await initCa(workDir, { trustDomain: TRUST_DOMAIN });
    ca = await loadCa(workDir);
    signer = await FileSigner.load(join(workDir, CA_FILES.intermediateCertificate), join(workDir, CA_FILES.intermediateKey));
  });

  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('reads the identity of a leaf presented over real mTLS', { timeout: 5000 }, async () => {
    const serverKey = await generateLeafKey();
    const serverLeaf = await ca.issueLeaf({
      publicKey: serverKey.keyPair.publicKey,
      identity: 'causeway-server',
      role: 'server',
      lifetimeMs: HOUR_MS,
      dnsNames: ['causeway.test'],
    });
    const agentKey = await generateLeafKey();
    const agentLeaf = await ca.issueLeaf({ publicKey: agentKey.keyPair.publicKey, identity: IDENTITY, role: 'agent', lifetimeMs: HOUR_MS });

    const server = createServer({
      key: serverKey.privateKeyPem,
      cert: serverLeaf.certPem + ca.chainPem,
      ca: ca.rootPem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const seen = new Promise<PeerIdentity>((resolve, reject) => {
      server.once('secureConnection', (socket: TLSSocket) => {
        try {
          resolve(peerIdentityFromCertificate(socket.getPeerX509Certificate()!.raw, TRUST_DOMAIN));
        } catch (error) {
          reject(error);
        } finally {
          socket.end();
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const client = connect({
        host: '127.0.0.1',
        port: (server.address() as AddressInfo).port,
        servername: 'causeway.test',
        key: agentKey.privateKeyPem,
        cert: agentLeaf.certPem + ca.chainPem,
        ca: ca.rootPem,
      });
      await once(client, 'secureConnect');
      const serverSeenByClient = peerIdentityFromCertificate(client.getPeerX509Certificate()!.raw, TRUST_DOMAIN);
      const peer = await seen;
      client.destroy();
      assert.equal(serverSeenByClient.role, 'server');
      assert.equal(serverSeenByClient.identity, 'causeway-server');
      assert.equal(peer.identity, IDENTITY);
      assert.equal(peer.role, 'agent');
      assert.equal(peer.spiffeId, `spiffe://${TRUST_DOMAIN}/agent/${IDENTITY}`);
      assert.equal(peer.serialHex, agentLeaf.serialHex);
      assert.equal(peer.notAfter.getTime(), agentLeaf.notAfter.getTime());
    } finally {
      server.close();
    }
  });

  const spiffe = (role: string, identity = IDENTITY, trustDomain = TRUST_DOMAIN): x509.JsonGeneralName => ({
    type: 'url',
    value: `spiffe://${trustDomain}/${role}/${identity}`,
  });

  it('accepts a leaf with extra non-SPIFFE URIs and no email SAN', async () => {
    const der = await craft([spiffe('client'), { type: 'url', value: 'https://acme.example/x' }]);
    assert.equal(peerIdentityFromCertificate(der, TRUST_DOMAIN).role, 'client');
  });

  const refused: ReadonlyArray<{ name: string; der: () => Promise<Uint8Array>; reason: RegExp }> = [
    { name: 'garbage', der: async () => new Uint8Array([1, 2, 3]), reason: /cannot be parsed/ },
    { name: 'no SPIFFE ID', der: () => craft([{ type: 'email', value: IDENTITY }]), reason: /exactly one SPIFFE ID, found 0/ },
    { name: 'two SPIFFE IDs', der: () => craft([spiffe('agent'), spiffe('client')]), reason: /exactly one SPIFFE ID, found 2/ },
    { name: 'an unknown role', der: () => craft([spiffe('admin')]), reason: /known role/ },
    { name: 'an extra path segment', der: () => craft([spiffe('agent', `${IDENTITY}/x`)]), reason: /known role/ },
    { name: 'another trust domain', der: () => craft([spiffe('agent', IDENTITY, 'evil.causeway')]), reason: /another trust domain/ },
    {
      name: 'an email SAN that differs',
      der: () => craft([{ type: 'email', value: 'root@agents.acme.causeway' }, spiffe('agent')]),
      reason: /email SAN/,
    },
    { name: 'no clientAuth EKU', der: () => craft([spiffe('agent')], [x509.ExtendedKeyUsage.serverAuth]), reason: /client authentication/ },
    {
      name: 'no EKU extension',
      der: () => craft([spiffe('agent')], [], (extensions) => extensions.filter((e) => !(e instanceof x509.ExtendedKeyUsageExtension))),
      reason: /client authentication/,
    },
    {
      name: 'a CA certificate',
      der: () =>
        craft([spiffe('agent')], undefined, (extensions) => [
          new x509.BasicConstraintsExtension(true, undefined, true),
          ...extensions.filter((e) => !(e instanceof x509.BasicConstraintsExtension)),
        ]),
      reason: /CA certificate/,
    },
    {
      name: 'a certificate from an unrelated PKI',
      der: async () => {
        const other = await createStandaloneCa('Customer Internal CA');
        const { certPem } = await other.issueServerCert(['intranet.acme'], []);
        return new Uint8Array(new x509.X509Certificate(certPem).rawData);
      },
      reason: /exactly one SPIFFE ID/,
    },
  ];

  for (const { name, der, reason } of refused) {
    it(`refuses ${name}`, async () => {
      const input = await der();
      assert.throws(
        () => peerIdentityFromCertificate(input, TRUST_DOMAIN),
        (error: unknown) => {
          assert.ok(error instanceof AuthError);
          assert.equal(error.code, 'ERR_PEER_CERT');
          assert.match(error.message, reason);
          return true;
        },
      );
    });
  }
});
