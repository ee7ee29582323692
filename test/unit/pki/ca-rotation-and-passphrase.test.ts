import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CA_FILES, initCa, loadCa, loadCaPublic } from '../../../src/pki/ca.js';
import { PkiError, type PkiErrorCode } from '../../../src/pki/errors.js';
import { generateLeafKey } from '../../../src/pki/leaf-key.js';
import { rotateIntermediate } from '../../../src/pki/rotate-intermediate.js';
import { tempDir } from '../config/temp-dir.js';

const TRUST_DOMAIN = 'acme.causeway';
const NOW = new Date('2030-06-01T12:00:00Z');
const HOUR = 3600_000;

function rejectsWith(code: PkiErrorCode) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof PkiError, `expected PkiError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

async function issue(dir: string, passphrase?: string, now = NOW): Promise<X509Certificate> {
  const ca = await loadCa(dir, { passphrase, now });
  const key = await generateLeafKey();
  const leaf = await ca.issueLeaf({ publicKey: key.keyPair.publicKey, identity: 'c@clients.acme.causeway', role: 'client', lifetimeMs: HOUR, now });
  return new X509Certificate(leaf.certPem);
}

describe('CA keys encrypted with a passphrase', () => {
  it('writes encrypted PKCS#8 key files that load only with the right passphrase', async () => {
    const dir = join(tempDir().dir, 'ca');
    await initCa(dir, { trustDomain: TRUST_DOMAIN, now: NOW, passphrase: 'correct horse' });
    for (const key of [CA_FILES.rootKey, CA_FILES.intermediateKey]) {
      const pem = readFileSync(join(dir, key), 'utf8');
      assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      assert.equal(statSync(join(dir, key)).mode & 0o777, 0o600);
    }
    await assert.rejects(loadCa(dir), rejectsWith('ERR_CA_PASSPHRASE'));
    await assert.rejects(loadCa(dir, { passphrase: 'wrong horse' }), rejectsWith('ERR_CA_PASSPHRASE'));
    const leaf = await issue(dir, 'correct horse');
    const ca = await loadCa(dir, { passphrase: 'correct horse' });
    assert.ok(leaf.verify(new X509Certificate(ca.intermediatePem).publicKey));
    assert.equal((await loadCaPublic(dir)).trustDomain, TRUST_DOMAIN, 'the public half needs no passphrase');
  });
});

describe('causeway ca rotate-intermediate', () => {
  it('signs with a new intermediate while bundles carry the old one until the overlap ends', async () => {
    const dir = join(tempDir().dir, 'ca');
    await initCa(dir, { trustDomain: TRUST_DOMAIN, now: NOW, passphrase: 'pw' });
    const before = await loadCa(dir, { passphrase: 'pw', now: NOW });
    const oldLeaf = await issue(dir, 'pw');

    const rotated = await rotateIntermediate(dir, { passphrase: 'pw', overlapMs: 24 * HOUR, now: NOW });
    assert.equal(rotated.overlapUntil.getTime(), NOW.getTime() + 24 * HOUR);
    const during = await loadCa(dir, { passphrase: 'pw', now: new Date(NOW.getTime() + HOUR) });
    assert.notEqual(during.intermediatePem, before.intermediatePem);
    assert.equal(during.rootPem, before.rootPem, 'the root, which every party pins, does not change');
    const newIntermediate = new X509Certificate(during.intermediatePem);
    const oldIntermediate = new X509Certificate(before.intermediatePem);
    assert.ok(newIntermediate.verify(new X509Certificate(during.rootPem).publicKey));
    assert.ok(during.bundlePem.includes(before.intermediatePem.trim()), 'old intermediate stays in the bundle during the overlap');
    assert.ok(during.bundlePem.includes(during.intermediatePem.trim()));

    const newLeaf = await issue(dir, 'pw', new Date(NOW.getTime() + HOUR));
    assert.ok(newLeaf.verify(newIntermediate.publicKey));
    assert.ok(!newLeaf.verify(oldIntermediate.publicKey));
    assert.ok(oldLeaf.verify(oldIntermediate.publicKey), 'leaves of the old intermediate still verify against the bundle');
    assert.match(readFileSync(join(dir, CA_FILES.intermediateKey), 'utf8'), /ENCRYPTED PRIVATE KEY/, 'the new key is encrypted too');
    assert.ok(!existsSync(join(dir, `${CA_FILES.intermediateKey}.new`)));

    const after = await loadCa(dir, { passphrase: 'pw', now: new Date(NOW.getTime() + 25 * HOUR) });
    assert.ok(!after.bundlePem.includes(before.intermediatePem.trim()), 'the old intermediate leaves the bundle after the overlap');
  });

  it('needs the root key', async () => {
    const dir = join(tempDir().dir, 'ca');
    await initCa(dir, { trustDomain: TRUST_DOMAIN, now: NOW });
    const { unlinkSync } = await import('node:fs');
    unlinkSync(join(dir, CA_FILES.rootKey));
    await assert.rejects(rotateIntermediate(dir, { overlapMs: HOUR, now: NOW }), rejectsWith('ERR_CA_MISSING'));
  });
});
