import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CAUSEWAY_BIN } from '../../src/quickstart/launch.js';

const dir = mkdtempSync(join(tmpdir(), 'causeway-identity-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function causeway(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CAUSEWAY_BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('identity create never loses a key', () => {
  test('it refuses to overwrite a credential file and then registers nothing', () => {
    assert.equal(causeway('ca', 'init', '--data-dir', 'data', '--trust-domain', 'cli.causeway').code, 0);
    const common = ['--data-dir', 'data', '--server', '127.0.0.1:8443'];
    assert.equal(causeway('identity', 'create', ...common, '--role', 'agent', '--name', 'a1@agents.cli.causeway', '--out', 'a1.json').code, 0);
    const before = readFileSync(join(dir, 'a1.json'), 'utf8');

    const second = causeway('identity', 'create', ...common, '--role', 'client', '--name', 'c1@clients.cli.causeway', '--out', 'a1.json');
    assert.equal(second.code, 1);
    assert.match(second.stderr, /a1\.json already exists; refusing to overwrite/);
    assert.equal(readFileSync(join(dir, 'a1.json'), 'utf8'), before, 'the first credential is untouched');
    const list = causeway('identity', 'list', '--data-dir', 'data').stdout;
    assert.match(list, /a1@agents\.cli\.causeway/);
    assert.doesNotMatch(list, /c1@clients/, 'a failed create registers nothing');

    // A name that is taken fails without leaving a credential file behind.
    const taken = causeway('identity', 'create', ...common, '--role', 'agent', '--name', 'a1@agents.cli.causeway', '--out', 'again.json');
    assert.equal(taken.code, 1);
    assert.throws(() => readFileSync(join(dir, 'again.json')), /ENOENT/);
  });
});

describe('identity create on the command line', () => {
  test('the credential checks the name it dials unless --server-name says otherwise', () => {
    const common = ['--data-dir', 'data', '--role', 'client'];
    const made = causeway('identity', 'create', ...common, '--name', 'n1@clients.cli.causeway', '--server', 'Tunnel.Example.com:8443', '--out', 'n1.json');
    assert.equal(made.code, 0, made.stderr);
    assert.equal(JSON.parse(readFileSync(join(dir, 'n1.json'), 'utf8')).serverName, 'tunnel.example.com');
    const named = causeway('identity', 'create', ...common, '--name', 'n2@clients.cli.causeway', '--server', '10.0.0.1:8443', '--server-name', 'tunnel.internal', '--out', 'n2.json');
    assert.equal(named.code, 0, named.stderr);
    assert.equal(JSON.parse(readFileSync(join(dir, 'n2.json'), 'utf8')).serverName, 'tunnel.internal');
  });

  const refused: ReadonlyArray<readonly [string, string[], RegExp]> = [
    ['a URL for --server', ['--server', 'https://tunnel.example.com:8443', '--out', 'u.json'], /--server: expected host:port without a scheme/],
    ['--server without a port', ['--server', 'tunnel.example.com', '--out', 'u.json'], /--server: expected an address like/],
    ['--out given twice', ['--server', 'tunnel.example.com:8443', '--out', 'u1.json', '--out', 'u2.json'], /Option '--out' given 2 times \("u1\.json", "u2\.json"\)/],
  ];
  for (const [what, args, message] of refused) {
    test(`refuses ${what} and registers nothing`, () => {
      const r = causeway('identity', 'create', '--data-dir', 'data', '--role', 'client', '--name', 'bad@clients.cli.causeway', ...args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /run 'causeway identity --help'/);
      assert.doesNotMatch(causeway('identity', 'list', '--data-dir', 'data').stdout, /bad@clients/);
    });
  }
});

describe('pointed at the wrong place, the admin commands say so', () => {
  test('identity list outside a data directory refuses instead of creating an empty registry there', () => {
    mkdirSync(join(dir, 'not-data'));
    for (const where of ['not-data', 'missing']) {
      const r = causeway('identity', 'list', '--data-dir', where);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^causeway identity: ${where} is not a server data directory \\(.*\\): give the server's --data-dir`));
      assert.doesNotMatch(r.stderr, /CORRUPT/);
    }
    assert.equal(existsSync(join(dir, 'not-data', 'identities.db')), false, 'nothing created in the wrong directory');
  });

  test('ca init refuses a trust domain it cannot use, naming the form it wants', () => {
    const r = causeway('ca', 'init', '--data-dir', 'data-upper', '--trust-domain', 'Acme.Causeway');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--trust-domain "Acme\.Causeway" is not a trust domain: lower-case letters, digits/);
    assert.equal(existsSync(join(dir, 'data-upper')), false);
  });

  test('output into a pipe that closed early (| head, | true) ends quietly, without a stack trace', () => {
    for (const args of [['identity', 'list', '--data-dir', 'data'], ['identity', 'show', '--data-dir', 'data', '--name', 'a1@agents.cli.causeway'], ['--help']]) {
      // `true` exits without reading, so every write of the CLI meets a closed pipe.
      const r = spawnSync('sh', ['-c', `"${process.execPath}" "${CAUSEWAY_BIN}" ${args.join(' ')} | true`], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0);
      assert.equal(r.stderr, '', args.join(' '));
    }
  });
});

