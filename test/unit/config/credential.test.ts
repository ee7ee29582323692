import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/errors.js';
import { loadCredential } from '../../../src/config/credential.js';
import type { CredentialFile } from '../../../src/config/credential.js';
import { tempDir } from './temp-dir.js';

const tmp = tempDir();
const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const SECRET = jwk.d as string;

const good: CredentialFile = {
  version: 1,
  identity: 'acme-onprem@agents.acme.causeway',
  role: 'agent',
  keyId: 'k1',
  privateKey: { kty: 'EC', crv: 'P-256', x: jwk.x as string, y: jwk.y as string, d: SECRET },
  server: 'tunnel.example.com:8443',
  serverName: 'localhost',
  audience: 'causeway:acme.causeway',
  trustDomain: 'acme.causeway',
  caBundle: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
};

function write(name: string, value: unknown, mode = 0o600): string {
  return tmp.write(name, typeof value === 'string' ? value : JSON.stringify(value, null, 2), mode);
}

describe('loadCredential', () => {
  it('loads a valid file, parsing the server address', () => {
    const file = write('agent.json', good);
    const { credential, warnings } = loadCredential(file);
    assert.deepEqual(warnings, []);
    assert.deepEqual(credential, { ...good, server: { host: 'tunnel.example.com', port: 8443 } });
    assert.ok(Object.isFrozen(credential.privateKey));
  });

  it('warns when group or others may read the file', () => {
    const file = write('open.json', good, 0o644);
    assert.deepEqual(loadCredential(file).warnings, [`${file}: mode 0644 lets other users read the private key; run "chmod 600 ${file}"`]);
  });

  const failures: ReadonlyArray<readonly [string, unknown, ConfigError['code'], string]> = [
    ['invalid JSON', `{\n  "version": 1,\n  "d": "${SECRET}" oops\n}`, 'ERR_CONFIG_YAML', 'invalid JSON at line 3 column 54'],
    ['truncated JSON', `{"d": "${SECRET}"`, 'ERR_CONFIG_YAML', 'invalid JSON at line 1 column 52'],
    ['wrong version', { ...good, version: 2 }, 'ERR_CONFIG_INVALID', 'version: expected version 1, got 2'],
    ['wrong role', { ...good, role: 'server' }, 'ERR_CONFIG_INVALID', 'role: expected "agent" or "client", got "server"'],
    ['unknown key', { ...good, extra: true }, 'ERR_CONFIG_UNKNOWN_KEY', 'unknown key "extra"'],
    ['missing caBundle', { ...good, caBundle: undefined }, 'ERR_CONFIG_INVALID', 'caBundle: required'],
    ['caBundle not PEM', { ...good, caBundle: 'MIIB' }, 'ERR_CONFIG_INVALID', 'caBundle: expected PEM certificates ("-----BEGIN CERTIFICATE-----…")'],
    ['identity without domain', { ...good, identity: 'agent' }, 'ERR_CONFIG_INVALID', 'identity: expected an identity like "name@agents.example.causeway", got "agent"'],
    ['server without port', { ...good, server: 'tunnel.example.com' }, 'ERR_CONFIG_INVALID', 'server: expected an address like "127.0.0.1:8443" or "[::1]:8443", got "tunnel.example.com"'],
    ['private key as PEM text', { ...good, privateKey: `-----BEGIN PRIVATE KEY-----${SECRET}` }, 'ERR_CONFIG_INVALID', 'privateKey: expected an EC P-256 private key as a JWK object'],
    ['private key of another curve', { ...good, privateKey: { ...good.privateKey, crv: 'P-384' } }, 'ERR_CONFIG_INVALID', 'privateKey.crv: expected "crv": "P-256"'],
    ['private key without d', { ...good, privateKey: { ...good.privateKey, d: undefined } }, 'ERR_CONFIG_INVALID', 'privateKey.d: expected "d" as base64url text'],
    ['private key d malformed', { ...good, privateKey: { ...good.privateKey, d: `${SECRET}==` } }, 'ERR_CONFIG_INVALID', 'privateKey.d: expected "d" as 43 characters of base64url (32 bytes)'],
    ['private key with unknown member', { ...good, privateKey: { ...good.privateKey, p: SECRET } }, 'ERR_CONFIG_UNKNOWN_KEY', 'privateKey: unknown key "p"'],
  ];
  for (const [name, content, code, problem] of failures) {
    it(`refuses ${name}, without quoting the private key`, () => {
      const file = write('bad.json', content);
      assert.throws(
        () => loadCredential(file),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.code, code);
          assert.equal(error.message, `${file}: ${problem}`);
          assert.ok(!error.message.includes(SECRET));
          assert.equal(error.cause, undefined);
          return true;
        },
      );
    });
  }

  it('reports a missing file', () => {
    assert.throws(() => loadCredential(join(tmp.dir, 'none.json')), { code: 'ERR_CONFIG_MISSING', message: `${join(tmp.dir, 'none.json')}: file not found` });
  });
});
