import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { connect, createServer } from 'node:tls';
import { PkiError } from '../../../src/pki/errors.js';
import { createStandaloneCa } from '../../../src/pki/standalone-ca.js';

describe('createStandaloneCa', () => {
  it('issues a server certificate a TLS client trusts through the standalone root', async () => {
    const ca = await createStandaloneCa('Acme Internal Root');
    const { certPem, keyPem } = await ca.issueServerCert(['intranet.acme.test'], ['127.0.0.1']);
    const root = new X509Certificate(ca.certPem);
    const cert = new X509Certificate(certPem);
    assert.equal(root.subject, 'CN=Acme Internal Root');
    assert.equal(root.ca, true);
    assert.equal(cert.subject, 'CN=intranet.acme.test');
    assert.equal(cert.subjectAltName, 'DNS:intranet.acme.test, IP Address:127.0.0.1');
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(cert.verify(root.publicKey), true);

    const server = createServer({ key: keyPem, cert: certPem }, (socket) => socket.end('hello'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const client = connect({
        host: '127.0.0.1',
        port: (server.address() as AddressInfo).port,
        servername: 'intranet.acme.test',
        ca: ca.certPem,
      });
      const [data] = await once(client, 'data');
      assert.equal(String(data), 'hello');
      client.destroy();
    } finally {
      server.close();
    }
  });

  it('refuses a certificate with no names', async () => {
    const ca = await createStandaloneCa('Acme Internal Root');
    await assert.rejects(
      ca.issueServerCert([], []),
      (error: unknown) => error instanceof PkiError && error.code === 'ERR_LEAF_REQUEST_INVALID',
    );
  });
});
