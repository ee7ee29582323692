import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { sqliteBindingOptions } from '../sqlite/native-binding.js';
import type { AuditStore, QueryFilter, StoredRecord, VerifiedScope } from './audit-store.js';
import { canonicalJson } from './canonical.js';
import { identitiesOf, type AuditEvent, type AuditRecord } from './events.js';
import { chainHash, GENESIS_HASH, verifyChain, type ChainAnchor, type ChainReport, type ChainRow } from './hash-chain.js';

/** The store's file name inside the server's data directory. */
export const AUDIT_DB_FILE = 'audit.db';
export const DEFAULT_RETENTION_MS = 30 * 86_400_000;
const DEFAULT_PRUNE_INTERVAL_MS = 3600_000;
/** Rows deleted per pruning transaction, so a large backlog never blocks the event loop for long. */
const PRUNE_BATCH = 5000;

export interface SqliteStoreOptions {
  /** Records older than this are pruned. */
  retentionMs?: number;
  /** How often pruning runs in the background; 0 disables the timer (prune() still works). */
  pruneIntervalMs?: number;
  /** The clock, for tests. */
  now?: () => number;
  readonly?: boolean;
}

export type { QueryFilter, StoredRecord } from './audit-store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  type TEXT NOT NULL,
  identities TEXT NOT NULL,
  body TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_time ON audit(time_ms);
CREATE TABLE IF NOT EXISTS audit_anchor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  prev_hash TEXT NOT NULL
);
`;

/**
 * The embedded audit store: one SQLite file (WAL) whose rows form a hash chain. The chain's anchor is
 * the oldest kept record; pruning deletes a prefix of the chain and moves the anchor in the same
 * transaction, so `verify` passes after retention and fails on any other change.
 */
export class SqliteAuditStore implements AuditStore {
  private readonly db: Database.Database;
  private readonly retentionMs: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout | undefined;
  private lastSeq = 0;
  private lastHash = GENESIS_HASH;
  private closed = false;

  constructor(
    readonly file: string,
    options: SqliteStoreOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.now = options.now ?? Date.now;
    if (!options.readonly) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false, ...sqliteBindingOptions() });
    if (!options.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
      const last = this.db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
      if (last) {
        this.lastSeq = last.seq;
        this.lastHash = last.hash;
      } else {
        const anchor = this.anchor();
        this.lastSeq = anchor.seq - 1;
        this.lastHash = anchor.prevHash;
      }
      const interval = options.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS;
      if (interval > 0) {
        this.prune();
        this.timer = setInterval(() => this.prune(), interval);
        this.timer.unref();
      }
    }
  }

  write(record: AuditRecord): void {
    if (this.closed) return;
    const body = canonicalJson(record);
    const seq = this.lastSeq + 1;
    const hash = chainHash(seq, this.lastHash, body);
    const timeMs = Date.parse(record.time);
    this.insert.run(seq, Number.isFinite(timeMs) ? timeMs : this.now(), record.type, identityColumn(record), body, this.lastHash, hash);
    this.lastSeq = seq;
    this.lastHash = hash;
  }

  private get insert(): Database.Statement {
    return (this.insertStatement ??= this.db.prepare(
      'INSERT INTO audit (seq, time_ms, type, identities, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ));
  }
  private insertStatement: Database.Statement | undefined;

  /**
   * The newest record's sequence number and hash. Logged elsewhere now and then, it lets an auditor
   * notice a chain that was rewritten wholesale (recomputing every hash) or cut short at the end.
   */
  head(): { seq: number; hash: string } {
    return { seq: this.lastSeq, hash: this.lastHash };
  }

  /** Where the chain starts: the stored anchor, or the genesis before any pruning. */
  anchor(): ChainAnchor {
    const row = this.db.prepare('SELECT seq, prev_hash AS prevHash FROM audit_anchor WHERE id = 1').get() as ChainAnchor | undefined;
    return row ?? { seq: 1, prevHash: GENESIS_HASH };
  }

  /**
   * Deletes records older than the retention period (a prefix of the chain, in batches) and anchors
   * the chain at the oldest kept record. Returns how many were deleted.
   */
  prune(nowMs = this.now()): number {
    if (this.closed) return 0;
    const cutoff = nowMs - this.retentionMs;
    let deleted = 0;
    const step = this.db.transaction((): number => {
      // The first record at or after the cutoff; every record before it goes, even if a clock step wrote
      // an older time later, so only a prefix is ever deleted.
      const keep = this.db.prepare('SELECT seq, prev_hash AS prevHash FROM audit WHERE time_ms >= ? ORDER BY seq LIMIT 1').get(cutoff) as
        | ChainAnchor
        | undefined;
      const boundary = keep ? keep.seq : this.lastSeq + 1;
      const first = this.db.prepare('SELECT MIN(seq) AS seq FROM audit').get() as { seq: number | null };
      if (first.seq === null || first.seq >= boundary) return 0;
      const upTo = Math.min(boundary, first.seq + PRUNE_BATCH);
      const result = this.db.prepare('DELETE FROM audit WHERE seq < ?').run(upTo);
      const next = this.db.prepare('SELECT seq, prev_hash AS prevHash FROM audit WHERE seq = ?').get(upTo) as ChainAnchor | undefined;
      const anchor = next ?? { seq: this.lastSeq + 1, prevHash: this.lastHash };
      this.db
        .prepare('INSERT INTO audit_anchor (id, seq, prev_hash) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, prev_hash = excluded.prev_hash')
        .run(anchor.seq, anchor.prevHash);
      return result.changes;
    });
    for (;;) {
      const n = step();
      deleted += n;
      if (n === 0) break;
    }
    return deleted;
  }

  /** Checks the whole kept chain; reports the first modified, inserted or deleted record. */
  verify(): ChainReport & VerifiedScope {
    const anchor = this.anchor();
    const rows = this.db.prepare('SELECT seq, time_ms, type, identities, body, prev_hash, hash FROM audit ORDER BY seq').iterate() as IterableIterator<{
      seq: number;
      time_ms: number;
      type: string;
      identities: string;
      body: string;
      prev_hash: string;
      hash: string;
    }>;
    const chainRows = function* (): Generator<ChainRow> {
      for (const row of rows) {
        // The indexed columns must say what the hashed body says, or a filter could hide a record.
        let consistent = false;
        try {
          const record = JSON.parse(row.body) as AuditRecord;
          consistent = record.type === row.type && Date.parse(record.time) === row.time_ms && identityColumn(record) === row.identities;
        } catch {
          consistent = false;
        }
        yield { seq: row.seq, body: row.body, prevHash: row.prev_hash, hash: consistent ? row.hash : 'columns-differ-from-body' };
      }
    };
    return { ...verifyChain(chainRows(), anchor), describe: `from record ${anchor.seq}` };
  }

  /** Records matching `filter`, oldest first. */
  query(filter: QueryFilter = {}): StoredRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.sinceMs !== undefined) {
      where.push('time_ms >= ?');
      args.push(filter.sinceMs);
    }
    if (filter.untilMs !== undefined) {
      where.push('time_ms < ?');
      args.push(filter.untilMs);
    }
    if (filter.type !== undefined) {
      where.push('(type = ? OR type LIKE ?)');
      args.push(filter.type, `${filter.type}.%`);
    }
    if (filter.identity !== undefined) {
      where.push("instr(identities, ?) > 0");
      args.push(`\u0000${filter.identity}\u0000`);
    }
    const sql = `SELECT seq, body FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    args.push(filter.limit ?? 1000);
    const rows = this.db.prepare(sql).all(...args) as { seq: number; body: string }[];
    return rows.reverse().map((r) => ({ seq: r.seq, record: JSON.parse(r.body) as AuditRecord }));
  }

  /** The newest `limit` records of one type, newest first (for the dashboard). */
  recent(type: string, limit: number): AuditRecord[] {
    const rows = this.db.prepare('SELECT body FROM audit WHERE type = ? ORDER BY seq DESC LIMIT ?').all(type, limit) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as AuditRecord);
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (this.timer) clearInterval(this.timer);
      this.db.close();
    }
    return Promise.resolve();
  }
}

/** Identities as a NUL-delimited column, so an exact-match filter cannot match part of a name. */
function identityColumn(record: AuditRecord): string {
  const names = identitiesOf(record as AuditEvent);
  return names.length ? `\u0000${names.join('\u0000')}\u0000` : '';
}
