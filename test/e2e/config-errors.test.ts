import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CAUSEWAY_BIN } from '../../src/quickstart/launch.js';

const dir = mkdtempSync(join(tmpdir(), 'causeway-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(program: string, configText: string | undefined): { code: number | null; stderr: string } {
  const file = join(dir, `${program}-${Math.random().toString(36).slice(2)}.yaml`);
  if (configText !== undefined) writeFileSync(file, configText);
  const result = spawnSync(process.execPath, [CAUSEWAY_BIN, program, '--config', file], { encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, stderr: result.stderr.replace(file, 'FILE') };
}

describe('bad configuration stops the program with one clear line', () => {
  const cases: { name: string; program: string; text: string | undefined; expect: RegExp }[] = [
    { name: 'missing file', program: 'server', text: undefined, expect: /FILE: .*not found/i },
    { name: 'invalid YAML', program: 'server', text: 'listen: [127.0.0.1:0\n', expect: /FILE: .*YAML/i },
    { name: 'unknown top-level key', program: 'agent', text: 'credentials: ./a.json\nlisen: 1\n', expect: /FILE: .*unknown key "lisen"/ },
    { name: 'unknown nested key', program: 'server', text: 'limits:\n  dialTimout: 5s\n', expect: /FILE: limits: unknown key "dialTimout"/ },
    { name: 'wrong type', program: 'agent', text: 'credentials: ./a.json\nallow:\n  - host: a.example\n    ports: [http]\n', expect: /FILE: allow\[0\]\.ports\[0\]: / },
    { name: 'bad duration', program: 'server', text: 'certLifetime: forever\n', expect: /FILE: certLifetime: / },
    { name: 'bad address', program: 'client', text: 'credentials: ./c.json\nlisten: nowhere\n', expect: /FILE: listen: / },
    { name: 'missing credential file', program: 'client', text: 'credentials: ./missing.json\nlisten: 127.0.0.1:0\n', expect: /missing\.json: .*not found/i },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { code, stderr } = run(c.program, c.text);
      assert.equal(code, 2, stderr);
      const lines = stderr.trim().split('\n');
      assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
      assert.match(lines[0]!, c.expect);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    });
  }
});
