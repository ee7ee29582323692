import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeNewFile } from '../../../src/config/write-new-file.js';

const dir = mkdtempSync(join(tmpdir(), 'causeway-write-new-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('writeNewFile', () => {
  it('writes the text with exactly the mode asked, whatever the umask', () => {
    const old = process.umask(0o077);
    try {
      writeNewFile(join(dir, 'wide'), 'a', 0o644);
      writeNewFile(join(dir, 'narrow'), 'b', 0o600);
    } finally {
      process.umask(old);
    }
    assert.equal(statSync(join(dir, 'wide')).mode & 0o777, 0o644);
    assert.equal(statSync(join(dir, 'narrow')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(dir, 'narrow'), 'utf8'), 'b');
  });
  const taken: ReadonlyArray<readonly [string, (path: string) => void]> = [
    ['a file', (path) => writeFileSync(path, 'keep')],
    ['a symlink to a file', (path) => symlinkSync(join(dir, 'victim'), path)],
    ['a dangling symlink', (path) => symlinkSync(join(dir, 'nowhere'), path)],
  ];
  writeFileSync(join(dir, 'victim'), 'victim', { mode: 0o644 });
  for (const [name, make] of taken) {
    it(`refuses a path where ${name} is, with EEXIST, touching nothing`, () => {
      const path = join(dir, `taken-${name.replace(/ /g, '-')}`);
      make(path);
      assert.throws(() => writeNewFile(path, 'secret', 0o600), { code: 'EEXIST' });
      assert.equal(readFileSync(join(dir, 'victim'), 'utf8'), 'victim');
      assert.equal(statSync(join(dir, 'victim')).mode & 0o777, 0o644);
    });
  }
});
