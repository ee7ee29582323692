import assert from 'node:assert/strict';
import { X509Certificate, webcrypto } from 'node:crypto';
import { chmod, copyFile, mkdtemp, readFile, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CA_FILES, initCa, loadCa } from '../../../src/pki/ca.js';
import type { CertificateAuthority } from '../../../src/pki/ca.js';
import { parseAndVerifyCsr } from '../../../src/pki/csr.js';
import { PkiError } from '../../../src/pki/errors.js';
import type { PkiErrorCode } from '../../../src/pki/errors.js';
import { generateLeafKey } from '../../../src/pki/leaf-key.js';
import { x509 } from '../../../src/pki/x509.js';

const TRUST_DOMAIN = 'acme.causeway';
const IDENTITY = 'acme-onprem@agents.acme.causeway';
const NOW = new Date('2030-06-01T12:00:00Z');
const DAY_MS = 24 * 60 * 60 * 1000;
const SKEW_MS = 60_000;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

function rejectsWith(code: PkiErrorCode, messageIncludes?: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof PkiError, `expected PkiError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (messageIncludes !== undefined) {
      assert.ok(error.message.includes(messageIncludes), error.message);
    }
    return true;
  };
}

async function hostileCsrPublicKey(): Promise<webcrypto.CryptoKey> {
  const leafKey = await generateLeafKey();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: ['admin'] }, { O: ['Evil'] }],
    keys: leafKey.keyPair,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'evil.example' },
        { type: 'email', value: 'admin@acme.causeway' },
        { type: 'url', value: 'spiffe://acme.causeway/server/admin' },
      ]),
      new x509.BasicConstraintsExtension(true, undefined, true),
    ],
  });
  return (await parseAndVerifyCsr(new Uint8Array(csr.rawData))).publicKey;
}

async function fileMode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('certificate authority', () => {
  let workDir: string;
  let caDir: string;
  let ca: CertificateAuthority;
  let root: X509Certificate;
  let intermediate: X509Certificate;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'causeway-ca-'));
    caDir = join(workDir, 'nested', 'ca');
    await initCa(caDir, { trustDomain: TRUST_DOMAIN, now: NOW });
    ca = await loadCa(caDir);
    root = new X509Certificate(ca.rootPem);
    intermediate = new X509Certificate(ca.intermediatePem);
  });

  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  describe('initCa', () => {
    it('writes the CA files with private modes', async () => {
      assert.equal(await fileMode(caDir), 0o700);
      assert.equal(await fileMode(join(caDir, CA_FILES.rootKey)), 0o600);
      assert.equal(await fileMode(join(caDir, CA_FILES.intermediateKey)), 0o600);
      assert.deepEqual(JSON.parse(await readFile(join(caDir, CA_FILES.config), 'utf8')), { trustDomain: TRUST_DOMAIN });
      for (const key of [CA_FILES.rootKey, CA_FILES.intermediateKey]) {
        const pem = await readFile(join(caDir, key), 'utf8');
        assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
      }
    });

    it('makes a self-signed root and an intermediate with path length 0', async () => {
      assert.equal(root.subject, `CN=${TRUST_DOMAIN} Root CA\nO=Causeway`);
      assert.equal(root.ca, true);
      assert.equal(root.verify(root.publicKey), true);
      assert.equal(intermediate.subject, `CN=${TRUST_DOMAIN} Intermediate CA\nO=Causeway`);
      assert.equal(intermediate.issuer, root.subject);
      assert.equal(intermediate.ca, true);
      assert.equal(intermediate.verify(root.publicKey), true);
      assert.equal(root.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');

      const parsedRoot = new x509.X509Certificate(ca.rootPem);
      const parsedIntermediate = new x509.X509Certificate(ca.intermediatePem);
      const rootUsage = parsedRoot.getExtension(x509.KeyUsagesExtension);
      assert.equal(rootUsage?.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
      const constraints = parsedIntermediate.getExtension(x509.BasicConstraintsExtension);
      assert.equal(constraints?.critical, true);
      assert.equal(constraints?.pathLength, 0);
      assert.equal(
        parsedIntermediate.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId,
        parsedRoot.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
      );
      assert.equal(parsedRoot.notBefore.getTime(), NOW.getTime() - SKEW_MS);
      assert.equal(parsedRoot.notAfter.getUTCFullYear(), NOW.getUTCFullYear() + 10);
      assert.equal(parsedIntermediate.notAfter.getUTCFullYear(), NOW.getUTCFullYear() + 5);
      assert.equal(ca.chainPem, ca.intermediatePem);
      assert.deepEqual(new X509Certificate(ca.rootDer).raw, root.raw);
    });

    it('refuses to overwrite an existing CA', async () => {
      await assert.rejects(initCa(caDir, { trustDomain: TRUST_DOMAIN }), rejectsWith('ERR_CA_EXISTS'));
    });

    it('refuses an invalid trust domain', async () => {
      await assert.rejects(
        initCa(join(workDir, 'bad'), { trustDomain: 'Acme/Causeway' }),
        rejectsWith('ERR_NAME_INVALID'),
      );
    });
  });

  describe('issueLeaf', () => {
    it('issues an agent leaf whose names come from the server, not the CSR', async () => {
      const publicKey = await hostileCsrPublicKey();
      const leaf = await ca.issueLeaf({ publicKey, identity: IDENTITY, role: 'agent', lifetimeMs: DAY_MS, now: NOW });
      const cert = new X509Certificate(leaf.certDer);

      assert.equal(cert.subject, `CN=${IDENTITY}`);
      assert.equal(cert.subjectAltName, `email:${IDENTITY}, URI:spiffe://${TRUST_DOMAIN}/agent/${IDENTITY}`);
      assert.equal(cert.ca, false);
      assert.deepEqual(cert.keyUsage, [CLIENT_AUTH]);
      assert.equal(new Date(cert.validFrom).getTime(), NOW.getTime() - SKEW_MS);
      assert.equal(new Date(cert.validTo).getTime(), NOW.getTime() + DAY_MS);
      assert.equal(leaf.notBefore.getTime(), NOW.getTime() - SKEW_MS);
      assert.equal(leaf.notAfter.getTime(), NOW.getTime() + DAY_MS);
      assert.equal(leaf.serialHex, cert.serialNumber.toLowerCase());
      assert.match(leaf.serialHex, /^[0-7][0-9a-f]{31}$/);
      assert.equal(cert.issuer, intermediate.subject);
      assert.equal(cert.verify(intermediate.publicKey), true);
      assert.equal(cert.checkIssued(intermediate), true);
      assert.equal(cert.verify(root.publicKey), false);
      assert.deepEqual(
        cert.publicKey.export({ type: 'spki', format: 'der' }),
        Buffer.from(await webcrypto.subtle.exportKey('spki', publicKey)),
      );
      assert.deepEqual(new X509Certificate(leaf.certPem).raw, cert.raw);

      const parsed = new x509.X509Certificate(leaf.certDer);
      const constraints = parsed.getExtension(x509.BasicConstraintsExtension);
      assert.equal(constraints?.critical, true);
      assert.equal(constraints?.ca, false);
      assert.equal(parsed.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
      assert.equal(
        parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId,
        new x509.X509Certificate(ca.intermediatePem).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
      );
      assert.ok(parsed.getExtension(x509.SubjectKeyIdentifierExtension));
    });

    it('issues a server leaf with serverAuth and the requested DNS and IP names', async () => {
      const { keyPair } = await generateLeafKey();
      const leaf = await ca.issueLeaf({
        publicKey: keyPair.publicKey,
        identity: 'causeway-server',
        role: 'server',
        lifetimeMs: DAY_MS,
        now: NOW,
        dnsNames: ['causeway.example'],
        ipAddresses: ['127.0.0.1'],
      });
      const cert = new X509Certificate(leaf.certDer);
      assert.equal(
        cert.subjectAltName,
        `URI:spiffe://${TRUST_DOMAIN}/server/causeway-server, DNS:causeway.example, IP Address:127.0.0.1`,
      );
      assert.deepEqual(cert.keyUsage, [SERVER_AUTH, CLIENT_AUTH]);
      assert.equal(cert.checkHost('causeway.example'), 'causeway.example');
      assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    });

    it('gives each leaf a distinct serial number', async () => {
      const { keyPair } = await generateLeafKey();
      const request = { publicKey: keyPair.publicKey, identity: IDENTITY, role: 'client', lifetimeMs: DAY_MS, now: NOW } as const;
      const [first, second] = await Promise.all([ca.issueLeaf(request), ca.issueLeaf(request)]);
      assert.notEqual(first.serialHex, second.serialHex);
    });

    it('clamps the validity to the intermediate', async () => {
      const { keyPair } = await generateLeafKey();
      const leaf = await ca.issueLeaf({
        publicKey: keyPair.publicKey,
        identity: IDENTITY,
        role: 'agent',
        lifetimeMs: 20 * 365 * DAY_MS,
        now: NOW,
      });
      assert.equal(leaf.notAfter.getTime(), new Date(intermediate.validTo).getTime());
    });

    const refused: ReadonlyArray<{
      name: string;
      request: Partial<Parameters<CertificateAuthority['issueLeaf']>[0]>;
      code: PkiErrorCode;
    }> = [
      { name: 'DNS names for an agent', request: { dnsNames: ['evil.example'] }, code: 'ERR_LEAF_REQUEST_INVALID' },
      { name: 'IP addresses for a client', request: { role: 'client', ipAddresses: ['10.0.0.1'] }, code: 'ERR_LEAF_REQUEST_INVALID' },
      { name: 'a bad IP address', request: { role: 'server', ipAddresses: ['10.0.0'] }, code: 'ERR_LEAF_REQUEST_INVALID' },
      { name: 'a bad DNS name', request: { role: 'server', dnsNames: ['a b'] }, code: 'ERR_LEAF_REQUEST_INVALID' },
      { name: 'a zero lifetime', request: { lifetimeMs: 0 }, code: 'ERR_LEAF_REQUEST_INVALID' },
      { name: 'an identity with a slash', request: { identity: 'a/b@x' }, code: 'ERR_NAME_INVALID' },
      { name: 'an unknown role', request: { role: 'admin' as never }, code: 'ERR_NAME_INVALID' },
      { name: 'a time before the CA', request: { now: new Date('2001-01-01T00:00:00Z') }, code: 'ERR_CA_EXPIRED' },
    ];

    for (const { name, request, code } of refused) {
      it(`refuses ${name} with ${code}`, async () => {
        const { keyPair } = await generateLeafKey();
        await assert.rejects(
          ca.issueLeaf({ publicKey: keyPair.publicKey, identity: IDENTITY, role: 'agent', lifetimeMs: DAY_MS, now: NOW, ...request }),
          rejectsWith(code),
        );
      });
    }

    it('leaves out the email SAN for an identity without @', async () => {
      const { keyPair } = await generateLeafKey();
      const leaf = await ca.issueLeaf({ publicKey: keyPair.publicKey, identity: 'ci-runner', role: 'client', lifetimeMs: DAY_MS, now: NOW });
      assert.equal(new X509Certificate(leaf.certDer).subjectAltName, `URI:spiffe://${TRUST_DOMAIN}/client/ci-runner`);
    });
  });

  describe('loadCa', () => {
    async function freshCa(name: string): Promise<string> {
      const dir = join(workDir, name);
      await initCa(dir, { trustDomain: TRUST_DOMAIN });
      return dir;
    }

    for (const key of [CA_FILES.intermediateKey, CA_FILES.rootKey]) {
      it(`refuses a ${key} readable by others`, async () => {
        const dir = await freshCa(`open-${key}`);
        await chmod(join(dir, key), 0o644);
        await assert.rejects(loadCa(dir), rejectsWith('ERR_CA_KEY_PERMISSIONS', key));
      });
    }

    for (const file of [CA_FILES.config, CA_FILES.rootCertificate, CA_FILES.intermediateCertificate, CA_FILES.intermediateKey]) {
      it(`names the missing ${file}`, async () => {
        const dir = await freshCa(`missing-${file}`);
        await unlink(join(dir, file));
        await assert.rejects(loadCa(dir), rejectsWith('ERR_CA_MISSING', file));
      });
    }

    it('loads without root.key, kept offline', async () => {
      const dir = await freshCa('offline-root');
      await unlink(join(dir, CA_FILES.rootKey));
      const loaded = await loadCa(dir);
      assert.equal(loaded.trustDomain, TRUST_DOMAIN);
    });

    it('refuses an intermediate key that does not match its certificate', async () => {
      const dir = await freshCa('mismatch');
      const other = await freshCa('mismatch-other');
      await rm(join(dir, CA_FILES.intermediateKey));
      await copyFile(join(other, CA_FILES.intermediateKey), join(dir, CA_FILES.intermediateKey));
      await chmod(join(dir, CA_FILES.intermediateKey), 0o600);
      await assert.rejects(loadCa(dir), rejectsWith('ERR_CA_INVALID'));
    });

    it('refuses an intermediate that the root did not sign', async () => {
      const dir = await freshCa('foreign-root');
      const other = await freshCa('foreign-root-other');
      await rm(join(dir, CA_FILES.rootCertificate));
      await copyFile(join(other, CA_FILES.rootCertificate), join(dir, CA_FILES.rootCertificate));
      await assert.rejects(loadCa(dir), rejectsWith('ERR_CA_INVALID'));
    });
  });
});
