import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/errors.js';
import { resolveStore } from '../../../src/config/store.js';
import { describeStore, parseStoreValue, redactStoreUrl } from '../../../src/store/store-url.js';
import { tempDir } from './temp-dir.js';

describe('store value', () => {
  const accepted: [string, string][] = [
    ['sqlite', 'sqlite'],
    ['postgres://causeway@db.internal:5432/causeway', 'postgres://causeway@db.internal:5432/causeway'],
    ['postgresql://causeway@db/causeway?sslmode=require', 'postgresql://causeway@db/causeway?sslmode=require'],
    ['postgres://causeway:hunter2@db/causeway', 'postgres://causeway:***@db/causeway'],
  ];
  for (const [value, described] of accepted) {
    it(`accepts ${described}`, () => {
      const parsed = parseStoreValue(value);
      assert.ok(parsed.ok);
      assert.equal(describeStore(parsed.target), described);
    });
  }

  const refused: [string, string, RegExp][] = [
    ['an empty value', '', /expected "sqlite" or a postgres/],
    ['another word', 'mysql', /expected "sqlite" or a postgres/],
    ['another scheme', 'mysql://root@db/causeway', /scheme "mysql:"/],
    ['an http URL', 'http://db/causeway', /scheme "http:"/],
    ['a URL without a database', 'postgres://causeway@db:5432', /must name a database/],
    ['a URL with only a slash', 'postgres://causeway@db:5432/', /must name a database/],
    ['SQLite in capitals', 'SQLite', /expected "sqlite"/],
  ];
  for (const [name, value, problem] of refused) {
    it(`refuses ${name}`, () => {
      const parsed = parseStoreValue(value);
      assert.equal(parsed.ok, false);
      assert.match((parsed as { problem: string }).problem, problem);
    });
  }

  it('never shows a password, also in text that does not parse as a URL', () => {
    assert.equal(redactStoreUrl('postgres://u:secret@db/x?password=also'), 'postgres://u:***@db/x?password=***');
    assert.doesNotMatch(redactStoreUrl('postgres://u:se cret@d b/x'), /se cret/);
    const parsed = parseStoreValue('postgres://u:p%40ss word@ bad host/x');
    if (!parsed.ok) assert.doesNotMatch(parsed.problem, /ss word/);
  });

  // Passwords from generators often hold `/`, `?` or `#`; written unencoded they break URL parsing.
  const leaky: [string, string, RegExp][] = [
    ['a password with "/" (does not parse)', 'postgres://u:pa/ss@db/causeway', /pa\/ss/],
    ['a password with "?" and "/"', 'postgres://u:x?y/z@db/causeway', /x\?y/],
    ['a password with "@" and "/"', 'postgres://u:k3y@q/z9@db/causeway', /k3y|q\/z9/],
    ['a password parameter after a bad port', 'postgres://db:bad/causeway?password=hunter2', /hunter2/],
    ['no "//" after the scheme', 'postgres:u:hunter2@db/causeway', /hunter2/],
    ['one "/" after the scheme', 'postgres:/u:hunter2@db/causeway', /hunter2/],
  ];
  for (const [what, value, secret] of leaky) {
    it(`refuses ${what} without showing the password`, () => {
      const parsed = parseStoreValue(value);
      assert.equal(parsed.ok, false, 'a value without postgres://host must be refused');
      if (!parsed.ok) {
        assert.match(parsed.problem, /expected "sqlite" or a postgres|an "@" after the host/);
        assert.doesNotMatch(parsed.problem, secret);
      }
      assert.doesNotMatch(redactStoreUrl(value), secret);
      assert.throws(() => resolveStore({ flag: value }, {}), (err: unknown) => err instanceof ConfigError && !secret.test(err.message));
    });
  }
});

describe('resolveStore', () => {
  const url = 'postgres://causeway@db/causeway';
  it('takes --store, then CAUSEWAY_STORE_URL, then the config, else SQLite', () => {
    const env = { CAUSEWAY_STORE_URL: 'postgres://env@db/causeway' };
    assert.deepEqual(resolveStore({ flag: url, store: 'sqlite' }, env).target, { kind: 'postgres', url });
    assert.deepEqual(resolveStore({ store: 'sqlite' }, env).target, { kind: 'postgres', url: env.CAUSEWAY_STORE_URL });
    assert.deepEqual(resolveStore({ store: url }, {}).target, { kind: 'postgres', url });
    assert.deepEqual(resolveStore({}, {}).target, { kind: 'sqlite' });
    assert.deepEqual(resolveStore({}, { CAUSEWAY_STORE_URL: '' }).target, { kind: 'sqlite' });
  });

  it('reads the password from --store-password-file, then CAUSEWAY_STORE_PASSWORD_FILE, then the config', () => {
    const { write } = tempDir();
    const flag = write('flag-pass', 'from flag\n');
    const env = write('env-pass', 'from env');
    const config = write('config-pass', 'from config');
    const e = { CAUSEWAY_STORE_PASSWORD_FILE: env };
    assert.equal(resolveStore({ store: url, passwordFlag: flag, passwordFile: config }, e).password, 'from flag');
    assert.equal(resolveStore({ store: url, passwordFile: config }, e).password, 'from env');
    assert.equal(resolveStore({ store: url, passwordFile: config }, {}).password, 'from config');
    assert.equal(resolveStore({ store: url }, {}).password, undefined);
    // SQLite needs no password: a named file is not even read.
    assert.equal(resolveStore({ passwordFile: '/nonexistent/pass' }, {}).password, undefined);
  });

  const refused: { name: string; given: Parameters<typeof resolveStore>[0]; env?: NodeJS.ProcessEnv; field: string; problem: RegExp }[] = [
    { name: 'a bad --store', given: { flag: 'mysql://x/y' }, field: '--store', problem: /scheme/ },
    { name: 'a bad CAUSEWAY_STORE_URL', given: {}, env: { CAUSEWAY_STORE_URL: 'nonsense' }, field: 'CAUSEWAY_STORE_URL', problem: /expected "sqlite"/ },
    { name: 'a bad config store', given: { store: 'postgres://db' }, field: 'store', problem: /must name a database/ },
    { name: 'a missing password file', given: { store: url, passwordFile: '/nonexistent/pass' }, field: '/nonexistent/pass', problem: /cannot be read/ },
  ];
  for (const { name, given, env, field, problem } of refused) {
    it(`refuses ${name}, naming where it came from`, () => {
      assert.throws(
        () => resolveStore(given, env ?? {}),
        (err: unknown) => err instanceof ConfigError && err.message.includes(field) && problem.test(err.message),
      );
    });
  }

  it('refuses a password file others can read', () => {
    const file = tempDir().write('open', 'secret', 0o644);
    assert.throws(() => resolveStore({ store: url, passwordFile: file }, {}), /readable by others/);
  });
});
