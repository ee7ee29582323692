import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { AuditLog } from '../../../src/audit/audit-log.js';
import type { ChainProblem } from '../../../src/audit/hash-chain.js';
import { SqliteAuditStore } from '../../../src/audit/sqlite-store.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-30T12:00:00Z');
const root = mkdtempSync(join(tmpdir(), 'causeway-audit-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A store with five records, one day apart, ending at NOW. */
async function filledStore(): Promise<string> {
  const file = join(root, `audit-${n++}.db`);
  const store = new SqliteAuditStore(file, { pruneIntervalMs: 0, now: () => NOW });
  const log = new AuditLog([store], 'server');
  for (let i = 4; i >= 0; i--) {
    log.record({ type: 'agent.connected', identity: `agent-${i}@a.test`, instanceId: `i${i}`, version: '1', source: '127.0.0.1:1' }, new Date(NOW - i * DAY));
  }
  await store.close();
  return file;
}

function verify(file: string): ReturnType<SqliteAuditStore['verify']> {
  const store = new SqliteAuditStore(file, { readonly: true });
  try {
    return store.verify();
  } finally {
    void store.close();
  }
}

function tamper(file: string, sql: string, ...args: unknown[]): void {
  const db = new Database(file);
  db.prepare(sql).run(...args);
  db.close();
}

describe('SQLite audit store: hash chain', () => {
  it('verifies an intact chain, including after a reopen that appends more', async () => {
    const file = await filledStore();
    assert.deepEqual(verify(file), { ok: true, checked: 5, describe: 'from record 1' });
    const store = new SqliteAuditStore(file, { pruneIntervalMs: 0 });
    new AuditLog([store], 'server').record({ type: 'config.reloaded', file: 'server.yaml', result: 'applied' });
    await store.close();
    assert.deepEqual(verify(file), { ok: true, checked: 6, describe: 'from record 1' });
  });

  const cases: ReadonlyArray<readonly [string, string, unknown[], Pick<ChainProblem, 'kind' | 'seq'>]> = [
    ['a body edited', "UPDATE audit SET body = replace(body, 'agent-2', 'agent-9') WHERE seq = 3", [], { kind: 'modified', seq: 3 }],
    ['the type column edited (would hide a record from a filter)', "UPDATE audit SET type = 'token.accepted' WHERE seq = 2", [], { kind: 'modified', seq: 2 }],
    ['the time column edited', 'UPDATE audit SET time_ms = time_ms + 1 WHERE seq = 4', [], { kind: 'modified', seq: 4 }],
    ['a stored hash edited', "UPDATE audit SET hash = replace(hash, substr(hash, 1, 1), 'x') WHERE seq = 5", [], { kind: 'modified', seq: 5 }],
    ['a middle record deleted', 'DELETE FROM audit WHERE seq = 3', [], { kind: 'deleted', seq: 3 }],
    ['the first record deleted without pruning', 'DELETE FROM audit WHERE seq = 1', [], { kind: 'deleted', seq: 1 }],
    ['a record inserted at the end', "INSERT INTO audit VALUES (6, 0, 'deny', '', '{}', 'forged', 'forged')", [], { kind: 'inserted', seq: 6 }],
    ['a record renumbered into a gap', 'UPDATE audit SET seq = 10 WHERE seq = 2', [], { kind: 'deleted', seq: 2 }],
    ['the anchor moved past kept records', 'INSERT INTO audit_anchor (id, seq, prev_hash) VALUES (1, 3, ?)', ['0'.repeat(64)], { kind: 'inserted', seq: 1 }],
  ];
  for (const [name, sql, args, expected] of cases) {
    it(`reports ${expected.kind} record ${expected.seq} when ${name}`, async () => {
      const file = await filledStore();
      tamper(file, sql, ...args);
      const report = verify(file);
      assert.equal(report.ok, false);
      assert.equal(report.problem?.kind, expected.kind);
      assert.equal(report.problem?.seq, expected.seq);
    });
  }
});

describe('SQLite audit store: retention', () => {
  it('prunes records older than retention, anchors the chain at the oldest kept one, and still verifies', async () => {
    const file = await filledStore();
    const store = new SqliteAuditStore(file, { pruneIntervalMs: 0, retentionMs: 2 * DAY + 1, now: () => NOW });
    assert.equal(store.prune(), 2);
    assert.deepEqual(store.query().map((r) => r.seq), [3, 4, 5]);
    assert.deepEqual(store.verify(), { ok: true, checked: 3, describe: 'from record 3' });
    assert.equal(store.anchor().seq, 3);
    // Deleting the new oldest record is still caught.
    await store.close();
    tamper(file, 'DELETE FROM audit WHERE seq = 3');
    assert.deepEqual(verify(file).problem?.kind, 'deleted');
  });

  it('prunes everything when all is old, and the chain continues from the anchor', async () => {
    const file = await filledStore();
    const store = new SqliteAuditStore(file, { pruneIntervalMs: 0, retentionMs: 3600_000, now: () => NOW + 400 * DAY });
    assert.equal(store.prune(), 5);
    new AuditLog([store], 'server').record({ type: 'config.reloaded', file: 'x', result: 'applied' }, new Date(NOW + 400 * DAY));
    assert.deepEqual(store.query().map((r) => r.seq), [6]);
    assert.deepEqual(store.verify(), { ok: true, checked: 1, describe: 'from record 6' });
    await store.close();
  });

  it('prunes in the background when opened (records older than retention are gone)', async () => {
    const file = await filledStore();
    const store = new SqliteAuditStore(file, { retentionMs: DAY / 2, now: () => NOW });
    assert.deepEqual(store.query().map((r) => r.seq), [5]);
    assert.equal(store.verify().ok, true);
    await store.close();
  });
});

describe('SQLite audit store: query', () => {
  it('filters by time, type family and exact identity', async () => {
    const file = await filledStore();
    const store = new SqliteAuditStore(file, { pruneIntervalMs: 0 });
    const log = new AuditLog([store], 'server');
    log.record({ type: 'deny', layer: 'acl', rule: 'acl:no-rule', identity: 'agent-1@a.test', target: 'x:1', reason: 'no' }, new Date(NOW));
    log.record({ type: 'tunnel.opened', tunnelId: 't', client: 'c@a.test', agent: 'agent-1@a.test', instanceId: 'i', target: 'x:1', remoteAddress: '1.2.3.4:1' }, new Date(NOW));
    assert.deepEqual(store.query({ sinceMs: NOW - DAY - 1 }).map((r) => r.seq), [4, 5, 6, 7]);
    assert.deepEqual(store.query({ type: 'deny' }).map((r) => r.seq), [6]);
    assert.deepEqual(store.query({ type: 'tunnel' }).map((r) => r.seq), [7]);
    assert.deepEqual(store.query({ identity: 'agent-1@a.test' }).map((r) => r.seq), [4, 6, 7]);
    assert.deepEqual(store.query({ identity: 'agent-1@a.tes' }).map((r) => r.seq), []);
    assert.deepEqual(store.query({ limit: 2 }).map((r) => r.seq), [6, 7]);
    assert.equal((store.query({ type: 'deny' })[0]?.record as Record<string, unknown> | undefined)?.['decision'], 'deny');
    await store.close();
  });
});
