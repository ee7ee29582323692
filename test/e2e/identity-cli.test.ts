import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
