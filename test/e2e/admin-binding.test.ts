import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initCa } from '../../src/pki/ca.js';
import { CAUSEWAY_BIN } from '../../src/quickstart/launch.js';
import { createIdentity } from '../../src/registry/create-identity.js';

const dir = mkdtempSync(join(tmpdir(), 'causeway-admin-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('admin listener beyond loopback', () => {
  before(async () => {
    const dataDir = join(dir, 'data');
    await initCa(join(dataDir, 'ca'), { trustDomain: 'admin.causeway' });
    for (const role of ['agent', 'client'] as const) {
      await createIdentity({ dataDir, name: `${role}-1@${role}s.admin.causeway`, role, server: '127.0.0.1:9', serverName: 'localhost', out: join(dir, `${role}.json`) });
    }
  });

  for (const program of ['server', 'agent', 'client']) {
    test(`${program}: refuses to start without CAUSEWAY_ADMIN_TOKEN, in one line, and exits`, () => {
      const file = join(dir, `${program}.yaml`);
      writeFileSync(
        file,
        program === 'server'
          ? 'admin: 0.0.0.0:0\nlisten: 127.0.0.1:0\ndataDir: ./data\n'
          : `credentials: ./${program}.json\nadmin: 0.0.0.0:0\n${program === 'client' ? 'listen: 127.0.0.1:0\n' : ''}`,
      );
      const env: NodeJS.ProcessEnv = { ...process.env, CAUSEWAY_LOG_LEVEL: 'silent' };
      delete env['CAUSEWAY_ADMIN_TOKEN'];
      const result = spawnSync(process.execPath, [CAUSEWAY_BIN, program, '--config', file], { encoding: 'utf8', timeout: 20_000, env });
      assert.equal(result.status, 1, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, /admin listener on 0\.0\.0\.0 is not loopback.*CAUSEWAY_ADMIN_TOKEN/);
    });
  }
});
