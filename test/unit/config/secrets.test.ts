import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/errors.js';
import { adminToken, credentialsFile, MAX_SECRET_FILE_BYTES, readSecretFile } from '../../../src/config/secrets.js';
import { tempDir } from './temp-dir.js';

describe('credentialsFile', () => {
  it('takes CAUSEWAY_CREDENTIALS_FILE over the config, then the config', () => {
    const dir = tempDir();
    const [mounted, configured] = [dir.write('mounted.json', '{}'), dir.write('agent.json', '{}')];
    assert.equal(credentialsFile(configured, 'agent.yaml', { CAUSEWAY_CREDENTIALS_FILE: mounted }), mounted);
    assert.equal(credentialsFile(configured, 'agent.yaml', { CAUSEWAY_CREDENTIALS_FILE: '' }), configured);
    assert.equal(credentialsFile(undefined, 'agent.yaml', { CAUSEWAY_CREDENTIALS_FILE: mounted }), mounted);
  });

  const missing: ReadonlyArray<readonly [string, string | undefined, NodeJS.ProcessEnv, RegExp]> = [
    ['the config names a file that is not there', '/nonexistent/agent.json', {}, /^\/nonexistent\/agent\.json: credential file not found \(named by credentials: in agent\.yaml\)$/],
    ['the variable names a file that is not there', '/nonexistent/agent.json', { CAUSEWAY_CREDENTIALS_FILE: '/run/none.json' }, /^\/run\/none\.json: credential file not found \(named by CAUSEWAY_CREDENTIALS_FILE\)$/],
  ];
  for (const [name, configured, env, message] of missing) {
    it(`says which setting named it when ${name}`, () => {
      assert.throws(() => credentialsFile(configured, 'agent.yaml', env), (err: unknown) => err instanceof ConfigError && err.code === 'ERR_CONFIG_MISSING' && message.test(err.message));
    });
  }

  it('names the field and the variable when neither is set', () => {
    assert.throws(
      () => credentialsFile(undefined, 'agent.yaml', {}),
      (err: unknown) => err instanceof ConfigError && err.message === 'agent.yaml: credentials: required: the credential file (or set CAUSEWAY_CREDENTIALS_FILE)',
    );
  });
});

describe('adminToken', () => {
  it('reads CAUSEWAY_ADMIN_TOKEN_FILE first, then CAUSEWAY_ADMIN_TOKEN', () => {
    const file = tempDir().write('token', 'from-file\n');
    assert.equal(adminToken({ CAUSEWAY_ADMIN_TOKEN_FILE: file, CAUSEWAY_ADMIN_TOKEN: 'direct' }), 'from-file');
    assert.equal(adminToken({ CAUSEWAY_ADMIN_TOKEN: 'direct' }), 'direct');
    assert.equal(adminToken({ CAUSEWAY_ADMIN_TOKEN: '' }), undefined);
    assert.equal(adminToken({}), undefined);
  });
});

describe('readSecretFile', () => {
  it('drops one trailing newline', () => {
    const { write } = tempDir();
    assert.equal(readSecretFile(write('lf', 's3cret\n'), 'password'), 's3cret');
    assert.equal(readSecretFile(write('crlf', 's3cret\r\n'), 'password'), 's3cret');
    assert.equal(readSecretFile(write('none', 's3cret'), 'password'), 's3cret');
  });

  const refused: { name: string; make: (t: ReturnType<typeof tempDir>) => string; code: string; problem: RegExp }[] = [
    { name: 'a missing file', make: () => '/nonexistent/causeway-secret', code: 'ERR_CONFIG_MISSING', problem: /password file cannot be read \(ENOENT\)/ },
    { name: 'a directory', make: (t) => t.dir, code: 'ERR_CONFIG_INVALID', problem: /regular file/ },
    { name: 'an empty file', make: (t) => t.write('empty', '\n'), code: 'ERR_CONFIG_INVALID', problem: /password file is empty/ },
    { name: 'a file of two lines', make: (t) => t.write('two', 'a\nb\n'), code: 'ERR_CONFIG_INVALID', problem: /one line/ },
    { name: 'a file too large', make: (t) => t.write('big', 'x'.repeat(MAX_SECRET_FILE_BYTES + 1)), code: 'ERR_CONFIG_INVALID', problem: /at most 4096 bytes/ },
  ];
  for (const { name, make, code, problem } of refused) {
    it(`refuses ${name} with ${code}, without quoting it`, () => {
      const file = make(tempDir());
      assert.throws(
        () => readSecretFile(file, 'password'),
        (err: unknown) => err instanceof ConfigError && err.code === code && problem.test(err.message) && !err.message.includes('xxxx'),
      );
    });
  }
});

describe('secret files that are not regular files', () => {
  // In a child with a deadline: the bug this guards against blocks the whole process in open().
  const readers: { what: string; module: string; call: string; problem: RegExp }[] = [
    { what: 'readSecretFile', module: 'secrets.js', call: 'readSecretFile(file, "admin token")', problem: /regular file/ },
    { what: 'readPassphraseFile', module: 'ca-passphrase.js', call: 'readPassphraseFile(file)', problem: /regular file/ },
  ];
  for (const { what, module, call, problem } of readers) {
    it(`${what} refuses a named pipe no one writes at once, instead of hanging`, () => {
      const { dir } = tempDir();
      const fifo = join(dir, 'fifo');
      execFileSync('mkfifo', ['-m', '600', fifo]);
      const url = new URL(`../../../src/config/${module}`, import.meta.url).href;
      const script = `import(${JSON.stringify(url)}).then((m) => { const file = process.argv[1]; try { m.${call}; console.log('read'); } catch (e) { console.log(e.message); } });`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, fifo], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.signal, null, `${what} blocked on the pipe`);
      assert.match(r.stdout, problem);
    });
  }

  it('reads at most the limit from a file whose size says 0 (/proc)', () => {
    // /proc/self/maps is larger than the limit in any Node process and reports size 0.
    assert.throws(
      () => readSecretFile('/proc/self/maps', 'password'),
      (err: unknown) => err instanceof ConfigError && /at most 4096 bytes/.test(err.message),
    );
  });
});
