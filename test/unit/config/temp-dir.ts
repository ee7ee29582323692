import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** A fresh directory, removed when the test file finishes; `write` puts a file in it. */
export function tempDir(): { dir: string; write(name: string, text: string, mode?: number): string } {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name, text, mode = 0o600) {
      const file = join(dir, name);
      writeFileSync(file, text);
      chmodSync(file, mode);
      return file;
    },
  };
}
