import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { AUDIT_DB_FILE } from '../../../src/audit/sqlite-store.js';
import type { ResolvedStore } from '../../../src/config/store.js';
import { openServerStores, type ServerStores } from '../../../src/store/open-stores.js';
import { PgAuditStore } from '../../../src/store/postgres/audit-store.js';
import { PG_MIGRATIONS } from '../../../src/store/postgres/migrations.js';
import { createPgPool, migrate, MIGRATION_LOCK, QUERY_TIMEOUT_MS } from '../../../src/store/postgres/pool.js';
import { startPostgres, type TestPostgres } from '../../support/postgres.js';
import type { RegistryErrorCode } from '../../../src/registry/identity-store.js';
import { newKey, rejectsWith } from '../../support/registry.js';
import { pollUntil } from '../../support/status.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-30T12:00:00Z');

/** One empty store, and ways to open it again (another replica) and to tamper with its audit rows. */
interface Fixture {
  open(chain: string, options?: { retentionMs?: number }): Promise<ServerStores>;
  /** Changes the body of the audit row shown as `seq` by `audit query`. */
  editBody(seq: number): Promise<void>;
  deleteRow(seq: number): Promise<void>;
}

interface Backend {
  name: string;
  /** Several server processes share it (replay cache and audit chains across replicas). */
  shared: boolean;
  fresh(): Promise<Fixture>;
}

let postgres: TestPostgres;
let databases = 0;
const root = mkdtempSync(join(tmpdir(), 'causeway-stores-'));
const opened: ServerStores[] = [];
before(async () => {
  postgres = await startPostgres();
});
after(async () => {
  await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
  await postgres?.close();
  rmSync(root, { recursive: true, force: true });
});

function openWith(resolved: ResolvedStore, dataDir: string) {
  return async (chain: string, options: { retentionMs?: number } = {}): Promise<ServerStores> => {
    const stores = await openServerStores(resolved, { dataDir, chain, audit: { enabled: true, pruneIntervalMs: 0, retentionMs: options.retentionMs } });
    opened.push(stores);
    return stores;
  };
}

const BACKENDS: Backend[] = [
  {
    name: 'sqlite',
    shared: false,
    async fresh() {
      const dataDir = mkdtempSync(join(root, 'sqlite-'));
      const sql = (text: string, ...args: unknown[]): void => {
        const db = new Database(join(dataDir, AUDIT_DB_FILE));
        db.prepare(text).run(...args);
        db.close();
      };
      return {
        open: openWith({ target: { kind: 'sqlite' } }, dataDir),
        editBody: async (seq) => sql(`UPDATE audit SET body = replace(body, 'agent', 'agenT') WHERE seq = ?`, seq),
        deleteRow: async (seq) => sql('DELETE FROM audit WHERE seq = ?', seq),
      };
    },
  },
  {
    name: 'postgres',
    shared: true,
    async fresh() {
      const url = await postgres.createDatabase(`stores_${databases++}`);
      const sql = async (text: string, ...args: unknown[]): Promise<void> => {
        const client = new pg.Client({ connectionString: url.replace('@', `:${postgres.password}@`) });
        await client.connect();
        await client.query(text, args).finally(() => client.end());
      };
      return {
        open: openWith({ target: { kind: 'postgres', url }, password: postgres.password }, mkdtempSync(join(root, 'pg-'))),
        editBody: (seq) => sql(`UPDATE audit SET body = replace(body, 'agent', 'agenT') WHERE id = $1`, seq),
        deleteRow: (seq) => sql('DELETE FROM audit WHERE id = $1', seq),
      };
    },
  },
];

/** `pool` with `after(sql)` awaited after each of its queries (and those of clients it hands out) answers. */
function afterQueries(pool: pg.Pool, after: (text: string) => Promise<void>): pg.Pool {
  const wrap = <T extends pg.Pool | pg.PoolClient>(target: T): T =>
    new Proxy(target, {
      get(t, property) {
        if (property === 'query') {
          return async (...args: unknown[]) => {
            const result = await (t.query as (...a: unknown[]) => Promise<unknown>)(...args);
            await after(typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text));
            return result;
          };
        }
        if (property === 'connect' && t instanceof pg.Pool) return async () => wrap(await t.connect());
        const value = Reflect.get(t, property, t) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
      },
    });
  return wrap(pool);
}

/** Five records, one day apart, ending at NOW; returns their identities oldest first. */
async function writeFive(stores: ServerStores, prefix = 'agent'): Promise<string[]> {
  const log = new AuditLog([stores.audit!], 'server');
  const names: string[] = [];
  for (let i = 4; i >= 0; i--) {
    const identity = `${prefix}-${i}@a.test`;
    names.push(identity);
    log.record({ type: 'agent.connected', identity, instanceId: `i${i}`, version: '1', source: '127.0.0.1:1' }, new Date(NOW - i * DAY));
  }
  await stores.audit!.flush?.();
  return names;
}

for (const backend of BACKENDS) {
  describe(`stores: ${backend.name}`, () => {
    it('shows a write through one handle to the next read through another, without reopening', async () => {
      const f = await backend.fresh();
      const [server, admin] = [await f.open('a'), await f.open('b')];
      const key = await newKey();
      await admin.identities.create('a@agents.test', 'agent', key, { cidrs: ['10.0.0.0/8'] });
      assert.equal((await server.identities.findKey(key.keyId))?.record.name, 'a@agents.test');
      assert.deepEqual((await server.identities.get('a@agents.test'))?.cidrs, ['10.0.0.0/8']);
      await admin.identities.setEnabled('a@agents.test', false);
      assert.equal((await server.identities.get('a@agents.test'))?.enabled, false);
      await admin.identities.removeKey('a@agents.test', key.keyId);
      assert.equal(await server.identities.findKey(key.keyId), undefined);
    });

    it('keeps several keys per identity and lists identities by name', async () => {
      const f = await backend.fresh();
      const { identities } = await f.open('a');
      const [k1, k2] = [await newKey(), await newKey()];
      await identities.create('c@clients.test', 'client', k1);
      const record = await identities.addKey('c@clients.test', k2);
      assert.deepEqual(record.keys.map((k) => k.keyId).sort(), [k1.keyId, k2.keyId].sort());
      assert.deepEqual(record.keys.find((k) => k.keyId === k1.keyId)?.publicJwk, k1.publicJwk);
      await identities.create('b@clients.test', 'client', undefined);
      assert.deepEqual((await identities.setCidrs('c@clients.test', ['192.0.2.0/24'])).cidrs, ['192.0.2.0/24']);
      assert.deepEqual((await identities.list()).map((r) => r.name), ['b@clients.test', 'c@clients.test']);
    });

    it('refuses every invalid change with its own code, and changes nothing', async () => {
      const f = await backend.fresh();
      const { identities } = await f.open('a');
      const key = await newKey();
      await identities.create('c@clients.test', 'client', key);
      await identities.create('d@clients.test', 'client', undefined);
      const cases: [string, () => Promise<unknown>, RegistryErrorCode][] = [
        ['a name taken', () => identities.create('c@clients.test', 'client', undefined), 'ERR_IDENTITY_EXISTS'],
        ['a key id held by another identity', () => identities.addKey('d@clients.test', key), 'ERR_KEY_EXISTS'],
        ['a new identity with a key id already held', () => identities.create('e@clients.test', 'client', key), 'ERR_KEY_EXISTS'],
        ['enabling an unknown identity', () => identities.setEnabled('nobody', true), 'ERR_IDENTITY_UNKNOWN'],
        ['adding a key to an unknown identity', async () => identities.addKey('nobody', await newKey()), 'ERR_IDENTITY_UNKNOWN'],
        ['removing a key it does not have', () => identities.removeKey('c@clients.test', 'no-such-key'), 'ERR_KEY_UNKNOWN'],
        ['setting the CIDRs of an unknown identity', () => identities.setCidrs('nobody', []), 'ERR_IDENTITY_UNKNOWN'],
      ];
      for (const [what, change, code] of cases) await assert.rejects(change(), rejectsWith(code), what);
      assert.deepEqual((await identities.list()).map((r) => r.name), ['c@clients.test', 'd@clients.test'], 'a failed create leaves nothing behind');
    });

    it('remembers which key bought a certificate, and prunes records of expired certificates', async () => {
      const f = await backend.fresh();
      const [a, b] = [await f.open('a'), await f.open('b')];
      const now = new Date(NOW);
      await a.identities.recordIssuance({ serial: 'AB01', identity: 'c', keyId: 'k1', notAfter: new Date(NOW + 5000) }, now);
      assert.deepEqual(await a.identities.issuance('ab01'), { serial: 'ab01', identity: 'c', keyId: 'k1', notAfter: new Date(NOW + 5000) });
      await b.identities.recordIssuance({ serial: 'cd02', identity: 'c', keyId: 'k1', notAfter: new Date(NOW + 15_000) }, new Date(NOW + 10_000));
      assert.equal(await a.identities.issuance('ab01'), undefined);
      assert.ok(await a.identities.issuance('CD02'));
    });

    it('accepts a token id once until it expires', async () => {
      const f = await backend.fresh();
      const [a, b] = [await f.open('a'), await f.open('b')];
      const cases: [string, ServerStores, string, Date, boolean][] = [
        ['first use', a, 'jti-1', new Date(NOW), true],
        ['replayed at the same replica', a, 'jti-1', new Date(NOW + 1000), false],
        ['another token', a, 'jti-2', new Date(NOW + 1000), true],
        ...(backend.shared ? [['replayed at another replica', b, 'jti-2', new Date(NOW + 2000), false] as [string, ServerStores, string, Date, boolean]] : []),
        ['the first again once it expired', a, 'jti-1', new Date(NOW + 61_000), true],
      ];
      for (const [what, stores, jti, now, accepted] of cases) {
        assert.equal(await stores.replay.claim(jti, new Date(now.getTime() + 60_000), now), accepted, what);
      }
    });

    it('finds audit records by identity, type family and time, and the chain verifies', async () => {
      const f = await backend.fresh();
      const stores = await f.open('a');
      const names = await writeFive(stores);
      const audit = stores.audit!;
      const cases: [string, Parameters<typeof audit.query>[0], string[]][] = [
        ['all, oldest first', {}, names],
        ['one identity', { identity: names[2]! }, [names[2]!]],
        ['part of a name matches nothing', { identity: 'agent-2' }, []],
        ['a type family', { type: 'agent' }, names],
        ['another type', { type: 'tunnel' }, []],
        ['since a time', { sinceMs: NOW - DAY }, names.slice(3)],
        ['until a time', { untilMs: NOW - 3 * DAY }, names.slice(0, 1)],
        ['the newest N', { limit: 2 }, names.slice(3)],
      ];
      for (const [what, filter, expected] of cases) {
        const rows = await audit.query(filter);
        assert.deepEqual(rows.map((r) => (r.record as { identity?: string }).identity), expected, what);
      }
      assert.deepEqual((await audit.recent('agent.connected', 1)).map((r) => (r as { identity?: string }).identity), [names[4]]);
      const report = await audit.verify();
      assert.equal(report.ok, true);
      assert.equal(report.checked, 5);
    });

    it('fails verification naming the record that was modified or deleted', async () => {
      const cases: [string, (f: Fixture, seq: number) => Promise<void>, string][] = [
        ['a body edited', (f, seq) => f.editBody(seq), 'modified'],
        ['a record deleted from the middle', (f, seq) => f.deleteRow(seq), 'deleted'],
      ];
      for (const [what, tamper, kind] of cases) {
        const f = await backend.fresh();
        const stores = await f.open('a');
        await writeFive(stores);
        const victim = (await stores.audit!.query({}))[2]!.seq;
        await tamper(f, victim);
        const report = await stores.audit!.verify();
        assert.equal(report.ok, false, what);
        assert.equal(report.problem?.kind, kind, what);
        assert.equal(report.problem?.seq, victim, what);
      }
    });

    it('prunes records past retention and still verifies', async () => {
      const f = await backend.fresh();
      const stores = await f.open('a', { retentionMs: 2 * DAY + 1 });
      const names = await writeFive(stores);
      assert.equal(await stores.audit!.prune(NOW), 2);
      assert.deepEqual((await stores.audit!.query({})).map((r) => (r.record as { identity?: string }).identity), names.slice(2));
      const report = await stores.audit!.verify();
      assert.equal(report.ok, true);
      assert.equal(report.checked, 3);
      await writeFive(stores, 'later');
      assert.equal((await stores.audit!.verify()).ok, true, 'the chain goes on after pruning');
    });

    it('runs its schema set-up once when several processes start together', async () => {
      const f = await backend.fresh();
      const all = await Promise.all(['a', 'b', 'c'].map((chain) => f.open(chain)));
      await all[0]!.identities.create('x@clients.test', 'client', undefined);
      for (const stores of all) assert.equal((await stores.identities.get('x@clients.test'))?.name, 'x@clients.test');
    });

    if (backend.shared) {
      it('keeps one verifiable chain per writer, and queries show every writer', async () => {
        const f = await backend.fresh();
        const [a, b] = [await f.open('replica-a'), await f.open('replica-b')];
        await Promise.all([writeFive(a, 'from-a'), writeFive(b, 'from-b')]);
        await writeFive(a, 'again-a');
        const rows = await a.audit!.query({});
        assert.equal(rows.length, 15);
        assert.deepEqual(new Set(rows.map((r) => r.chain)), new Set(['replica-a', 'replica-b']));
        const report = await b.audit!.verify();
        assert.equal(report.ok, true);
        assert.equal(report.checked, 15);
        assert.match(report.describe, /2 chains/);
      });

      it('tells every other process about each committed identity change, and once more after reconnecting', async () => {
        const f = await backend.fresh();
        const [a, b] = [await f.open('a'), await f.open('b')];
        let heard = 0;
        b.watch(() => heard++);
        await pollUntil(() => heard >= 1, 5000, 'the first check once listening');
        const before = heard;
        await a.identities.create('w@clients.test', 'client', undefined);
        await pollUntil(() => heard >= before + 1, 5000, 'the create notification');
        await a.identities.setEnabled('w@clients.test', false);
        await pollUntil(() => heard >= before + 2, 5000, 'the disable notification');
        // A failed change (unknown identity) is rolled back and announces nothing.
        await assert.rejects(a.identities.setEnabled('nobody@clients.test', false), rejectsWith('ERR_IDENTITY_UNKNOWN'));
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(heard, before + 2);
        await postgres.stop();
        await postgres.start();
        await pollUntil(() => heard >= before + 3, 5000, 'the check after the listener reconnected');
      });

      it('verifies one snapshot: another replica pruning while verify runs is not tampering', async () => {
        const url = await postgres.createDatabase(`stores_${databases++}`);
        const pool = createPgPool({ url, password: postgres.password });
        await migrate(pool, url);
        const writer = await PgAuditStore.open(pool, url, { chain: 'w', pruneIntervalMs: 0, retentionMs: 2 * DAY + 1 });
        try {
          const log = new AuditLog([writer], 'server');
          for (let i = 4; i >= 0; i--) {
            log.record({ type: 'agent.connected', identity: `p-${i}@a.test`, instanceId: 'i', version: '1', source: '127.0.0.1:1' }, new Date(NOW - i * DAY));
          }
          await writer.flush();
          // The reader's queries go through a pool that runs the writer's hourly prune right after the
          // chains and their anchors were read: the worst moment for a verify that reads piecemeal.
          let pruned = -1;
          const reader = await PgAuditStore.open(
            afterQueries(pool, async (text) => {
              if (pruned < 0 && /FROM audit_chains/.test(text)) pruned = await writer.prune(NOW);
            }),
            url,
          );
          const report = await reader.verify();
          assert.equal(pruned, 2, 'the prune ran in the middle of verify');
          assert.equal(report.ok, true, JSON.stringify(report));
          assert.equal((await reader.verify()).checked, 3);
        } finally {
          await writer.close();
          await pool.end();
        }
      });

      it('lets exactly one of many concurrent claims of one token id win, across replicas', async () => {
        const f = await backend.fresh();
        const [a, b] = [await f.open('a'), await f.open('b')];
        const expires = new Date(NOW + 60_000);
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) => Promise.resolve((i % 2 ? a : b).replay.claim('jti-race', expires, new Date(NOW)))),
        );
        assert.equal(results.filter(Boolean).length, 1);
      });

      it('waits for another replica\'s migration longer than the request timeout instead of failing to start', async () => {
        const url = await postgres.createDatabase(`stores_${databases++}`);
        const [first, second] = [createPgPool({ url, password: postgres.password }), createPgPool({ url, password: postgres.password })];
        try {
          // Another replica is migrating: it holds the migration lock for longer than any request may take.
          const holder = await first.connect();
          await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
          let settled = false;
          const waiting = migrate(second, url).finally(() => (settled = true));
          await new Promise((resolve) => setTimeout(resolve, QUERY_TIMEOUT_MS + 1000));
          assert.equal(settled, false, 'still waiting for the lock, not failed');
          await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
          holder.release();
          await waiting;
          const { rows } = await second.query<{ version: number }>('SELECT version FROM causeway_schema');
          assert.equal(rows[0]?.version, PG_MIGRATIONS.length);
          const timeout = await second.query<{ statement_timeout: string }>('SHOW statement_timeout');
          assert.equal(timeout.rows[0]?.statement_timeout, `${QUERY_TIMEOUT_MS / 1000}s`, 'the pooled session got its request timeout back');
        } finally {
          await Promise.all([first.end(), second.end()]);
        }
      });

      it('holds at most maxPending audit records while the database is away, and counts the ones it dropped', async () => {
        const url = await postgres.createDatabase(`stores_${databases++}`);
        const pool = createPgPool({ url, password: postgres.password });
        await migrate(pool, url);
        const store = await PgAuditStore.open(pool, url, { chain: 'small', maxPending: 3, pruneIntervalMs: 0, ownsPool: true });
        const log = new AuditLog([store], 'server');
        await postgres.stop();
        try {
          for (let i = 0; i < 5; i++) log.record({ type: 'agent.connected', identity: `d-${i}@a.test`, instanceId: 'i', version: '1', source: '127.0.0.1:1' });
          assert.deepEqual(store.backlog(), { pending: 3, dropped: 2 });
        } finally {
          await postgres.start();
        }
        await pollUntil(async () => (await store.flush(), store.backlog().pending === 0), 5000, 'the buffered records written');
        const report = await store.verify();
        assert.equal(report.ok, true, JSON.stringify(report));
        assert.equal(report.checked, 3);
        await store.close();
      });

      it('fails closed while the database is away, buffers audit records, and recovers when it returns', async () => {
        const f = await backend.fresh();
        const stores = await f.open('a');
        await writeFive(stores, 'before');
        await postgres.stop();
        try {
          await assert.rejects(stores.identities.get('x'), rejectsWith('ERR_REGISTRY_UNAVAILABLE'));
          await assert.rejects(Promise.resolve(stores.replay.claim('jti-down', new Date(NOW + 60_000), new Date(NOW))), rejectsWith('ERR_REGISTRY_UNAVAILABLE'));
          await writeFive(stores, 'during');
          assert.equal(stores.audit!.backlog!().pending, 5);
        } finally {
          await postgres.start();
        }
        const deadline = Date.now() + 5000;
        while (stores.audit!.backlog!().pending > 0 && Date.now() < deadline) await stores.audit!.flush!();
        assert.deepEqual(stores.audit!.backlog!(), { pending: 0, dropped: 0 });
        assert.equal(await stores.identities.get('x'), undefined);
        const report = await stores.audit!.verify();
        assert.equal(report.ok, true);
        assert.equal(report.checked, 10);
      });
    }
  });
}
