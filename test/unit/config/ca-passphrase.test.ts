import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readCaPassphrase } from '../../../src/config/ca-passphrase.js';
import { ConfigError } from '../../../src/config/errors.js';
import { tempDir } from './temp-dir.js';

describe('readCaPassphrase', () => {
  it('prefers CAUSEWAY_CA_PASSPHRASE_FILE, then CAUSEWAY_CA_PASSPHRASE, then the config file', () => {
    const { write } = tempDir();
    const envFile = write('env-pass', 'from env file\n');
    const configFile = write('config-pass', 'from config file');
    assert.equal(readCaPassphrase(configFile, { CAUSEWAY_CA_PASSPHRASE_FILE: envFile, CAUSEWAY_CA_PASSPHRASE: 'direct' }), 'from env file');
    assert.equal(readCaPassphrase(configFile, { CAUSEWAY_CA_PASSPHRASE: 'direct' }), 'direct');
    assert.equal(readCaPassphrase(configFile, {}), 'from config file');
    assert.equal(readCaPassphrase(undefined, {}), undefined);
  });

  const refused: { name: string; make: (w: ReturnType<typeof tempDir>['write']) => string; code: string; problem: RegExp }[] = [
    { name: 'a file others can read', make: (w) => w('open', 'secret', 0o644), code: 'ERR_CONFIG_INVALID', problem: /readable by others/ },
    { name: 'an empty file', make: (w) => w('empty', '\n'), code: 'ERR_CONFIG_INVALID', problem: /empty/ },
    { name: 'a missing file', make: () => '/nonexistent/causeway-pass', code: 'ERR_CONFIG_MISSING', problem: /cannot be read/ },
  ];
  for (const { name, make, code, problem } of refused) {
    it(`refuses ${name} with ${code}`, () => {
      const file = make(tempDir().write);
      assert.throws(
        () => readCaPassphrase(file, {}),
        (err: unknown) => err instanceof ConfigError && err.code === code && problem.test(err.message),
      );
    });
  }
});
