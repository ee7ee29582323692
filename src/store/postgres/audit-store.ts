import type pg from 'pg';
import type { AuditStore, QueryFilter, StoredRecord, VerifiedScope } from '../../audit/audit-store.js';
import { canonicalJson } from '../../audit/canonical.js';
import { identitiesOf, type AuditEvent, type AuditRecord } from '../../audit/events.js';
import { chainHash, GENESIS_HASH, verifyChain, type ChainReport } from '../../audit/hash-chain.js';
import type { Logger } from '../../log/logger.js';
import { inTransaction, safeMessage, unavailable } from './pool.js';

export const DEFAULT_MAX_PENDING_RECORDS = 10_000;
const DEFAULT_RETENTION_MS = 30 * 86_400_000;
const DEFAULT_PRUNE_INTERVAL_MS = 3600_000;
/** Records written per INSERT (8 parameters each, well under PostgreSQL's 65535). */
const WRITE_BATCH = 500;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 2000;
/** Rows read per page by verify, and deleted per statement by prune. */
const PAGE = 5000;
/** How long close() keeps trying to write what is still buffered. */
const CLOSE_FLUSH_MS = 3000;
/** Advisory lock so only one replica prunes at a time. */
const PRUNE_LOCK = 0x6361_7570;

export interface PgAuditStoreOptions {
  /** This process's chain; omit for a reader (`causeway audit`), which cannot write. */
  chain?: string | undefined;
  retentionMs?: number;
  /** 0 disables the background pruning timer. */
  pruneIntervalMs?: number;
  /** Records held while the database is away; beyond it records are dropped, counted and logged. */
  maxPending?: number;
  log?: Logger | undefined;
  now?: () => number;
  /** End the pool on close (a store opened on a pool of its own). */
  ownsPool?: boolean;
}

interface PendingRow {
  seq: number;
  timeMs: number;
  type: string;
  identities: string;
  body: string;
  prevHash: string;
  hash: string;
}

interface AuditRow {
  id: string;
  chain: string;
  seq: string;
  time_ms: string;
  type: string;
  identities: string[];
  body: string;
  prev_hash: string;
  hash: string;
}

/**
 * The audit store in the shared PostgreSQL database. Each server process writes its own hash chain
 * (`audit_chains` row, records numbered 1, 2, … within it): replicas never wait on one another's lock,
 * and a record's place and hash are fixed when the event happens, so records buffered through a database
 * outage are written later with the chain intact. `verify` checks every chain from its anchor; retention
 * deletes a prefix of each chain and moves its anchor in the same transaction.
 */
export class PgAuditStore implements AuditStore {
  readonly #pool: pg.Pool;
  readonly #url: string;
  readonly #chain: string | undefined;
  readonly #retentionMs: number;
  readonly #maxPending: number;
  readonly #log: Logger | undefined;
  readonly #now: () => number;
  readonly #ownsPool: boolean;
  readonly #pending: PendingRow[] = [];
  #lastSeq = 0;
  #lastHash = GENESIS_HASH;
  #flushing: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryMs = RETRY_MIN_MS;
  #pruneTimer: NodeJS.Timeout | undefined;
  #failingSince: number | undefined;
  #closed = false;
  /** Records dropped because the buffer was full while the database was away. */
  dropped = 0;

  private constructor(pool: pg.Pool, url: string, options: PgAuditStoreOptions) {
    this.#pool = pool;
    this.#url = url;
    this.#chain = options.chain;
    this.#retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING_RECORDS;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#ownsPool = options.ownsPool ?? false;
  }

  /** Opens the store; a writer registers its chain first (the database must answer at start-up). */
  static async open(pool: pg.Pool, url: string, options: PgAuditStoreOptions = {}): Promise<PgAuditStore> {
    const store = new PgAuditStore(pool, url, options);
    if (options.chain !== undefined) {
      try {
        await pool.query(
          'INSERT INTO audit_chains (chain, created_ms, anchor_seq, anchor_prev_hash) VALUES ($1, $2, 1, $3) ON CONFLICT (chain) DO NOTHING',
          [options.chain, store.#now(), GENESIS_HASH],
        );
        const { rows } = await pool.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit WHERE chain = $1 ORDER BY seq DESC LIMIT 1', [
          options.chain,
        ]);
        if (rows[0]) {
          store.#lastSeq = Number(rows[0].seq);
          store.#lastHash = rows[0].hash;
        }
      } catch (err) {
        throw unavailable(err, url);
      }
      const interval = options.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS;
      if (interval > 0) {
        store.#pruneTimer = setInterval(() => {
          Promise.resolve(store.prune()).catch((err: unknown) => store.#log?.warn({ err: safeMessage(err, url) }, 'audit pruning failed; will retry'));
        }, interval);
        store.#pruneTimer.unref();
      }
    }
    return store;
  }

  backlog(): { pending: number; dropped: number } {
    return { pending: this.#pending.length, dropped: this.dropped };
  }

  write(record: AuditRecord): void {
    if (this.#closed || this.#chain === undefined) return;
    if (this.#pending.length >= this.#maxPending) {
      this.dropped++;
      if (this.dropped === 1 || this.dropped % 1000 === 0) {
        this.#log?.error({ dropped: this.dropped, buffered: this.#pending.length }, 'audit buffer full while the shared store is away; records dropped (also in audit.jsonl)');
      }
      return;
    }
    const body = canonicalJson(record);
    const seq = this.#lastSeq + 1;
    const hash = chainHash(seq, this.#lastHash, body);
    const timeMs = Date.parse(record.time);
    this.#pending.push({
      seq,
      timeMs: Number.isFinite(timeMs) ? timeMs : this.#now(),
      type: record.type,
      identities: JSON.stringify(identitiesOf(record as AuditEvent)),
      body,
      prevHash: this.#lastHash,
      hash,
    });
    this.#lastSeq = seq;
    this.#lastHash = hash;
    if (!this.#retryTimer) void this.flush();
  }

  /** Writes what is buffered; resolves when the buffer is empty or a write failed (a retry is then scheduled). */
  flush(): Promise<void> {
    this.#flushing ??= this.#drain().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.slice(0, WRITE_BATCH);
      try {
        await this.#insert(batch);
      } catch (err) {
        if (this.#failingSince === undefined) {
          this.#failingSince = this.#now();
          this.#log?.error({ err: safeMessage(err, this.#url), buffered: this.#pending.length }, 'audit records buffered: shared store unavailable');
        }
        this.#scheduleRetry();
        return;
      }
      this.#pending.splice(0, batch.length);
      if (this.#failingSince !== undefined) {
        this.#log?.info({ downMs: this.#now() - this.#failingSince, dropped: this.dropped }, 'shared store back; buffered audit records written');
        this.#failingSince = undefined;
      }
      this.#retryMs = RETRY_MIN_MS;
    }
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#retryTimer) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.flush();
    }, this.#retryMs);
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
  }

  async #insert(batch: PendingRow[]): Promise<void> {
    const values: unknown[] = [];
    const tuples = batch.map((row, i) => {
      values.push(this.#chain, row.seq, row.timeMs, row.type, row.identities, row.body, row.prevHash, row.hash);
      const at = i * 8;
      return `($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}::jsonb, $${at + 6}, $${at + 7}, $${at + 8})`;
    });
    // A batch that reached the database before a lost reply is already there: skip what exists.
    await this.#pool.query(
      `INSERT INTO audit (chain, seq, time_ms, type, identities, body, prev_hash, hash) VALUES ${tuples.join(', ')} ON CONFLICT (chain, seq) DO NOTHING`,
      values,
    );
  }

  head(): { seq: number; hash: string; chain?: string } {
    return { seq: this.#lastSeq, hash: this.#lastHash, ...(this.#chain !== undefined ? { chain: this.#chain } : {}) };
  }

  async prune(nowMs = this.#now()): Promise<number> {
    const cutoff = nowMs - this.#retentionMs;
    try {
      return await inTransaction(this.#pool, async (db) => {
        await db.query('SELECT pg_advisory_xact_lock($1)', [PRUNE_LOCK]);
        const chains = await db.query<{ chain: string }>('SELECT chain FROM audit_chains ORDER BY chain');
        let deleted = 0;
        for (const { chain } of chains.rows) deleted += await pruneChain(db, chain, cutoff);
        return deleted;
      });
    } catch (err) {
      throw unavailable(err, this.#url);
    }
  }

  /**
   * Checks every chain in one snapshot (a read-only repeatable-read transaction): another replica
   * pruning meanwhile moves anchors and deletes prefixes, which read piecemeal would look like records
   * deleted by hand.
   */
  async verify(): Promise<ChainReport & VerifiedScope> {
    let db: pg.PoolClient | undefined;
    try {
      db = await this.#pool.connect();
      await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      return await verifyChains(db);
    } catch (err) {
      throw unavailable(err, this.#url);
    } finally {
      if (db) {
        await db.query('ROLLBACK').catch(() => undefined);
        db.release();
      }
    }
  }

  async query(filter: QueryFilter = {}): Promise<StoredRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (value: unknown): string => {
      args.push(value);
      return `$${args.length}`;
    };
    if (filter.sinceMs !== undefined) where.push(`time_ms >= ${arg(filter.sinceMs)}`);
    if (filter.untilMs !== undefined) where.push(`time_ms < ${arg(filter.untilMs)}`);
    if (filter.type !== undefined) where.push(`(type = ${arg(filter.type)} OR type LIKE ${arg(`${escapeLike(filter.type)}.%`)})`);
    if (filter.identity !== undefined) where.push(`identities ? ${arg(filter.identity)}`);
    const sql = `SELECT id, chain, body FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${arg(filter.limit ?? 1000)}`;
    try {
      const { rows } = await this.#pool.query<{ id: string; chain: string; body: string }>(sql, args);
      return rows.reverse().map((r) => ({ seq: Number(r.id), chain: r.chain, record: JSON.parse(r.body) as AuditRecord }));
    } catch (err) {
      throw unavailable(err, this.#url);
    }
  }

  async recent(type: string, limit: number): Promise<AuditRecord[]> {
    try {
      const { rows } = await this.#pool.query<{ body: string }>('SELECT body FROM audit WHERE type = $1 ORDER BY id DESC LIMIT $2', [type, limit]);
      return rows.map((r) => JSON.parse(r.body) as AuditRecord);
    } catch (err) {
      throw unavailable(err, this.#url);
    }
  }

  /** Stops the timers and gives buffered records a last few seconds to reach the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const deadline = this.#now() + CLOSE_FLUSH_MS;
    while (this.#pending.length > 0 && this.#now() < deadline) {
      await this.flush();
      if (this.#pending.length > 0) await new Promise((resolve) => setTimeout(resolve, RETRY_MIN_MS));
    }
    this.#closed = true;
    if (this.#pending.length > 0) {
      this.#log?.error({ lost: this.#pending.length, chain: this.#chain }, 'audit records not written: shared store unavailable at shutdown (they are in audit.jsonl)');
    }
    if (this.#ownsPool) await this.#pool.end();
  }
}

/** Every chain from its anchor, page by page, on `db` (a connection in one snapshot). */
async function verifyChains(db: pg.PoolClient): Promise<ChainReport & VerifiedScope> {
  const chains = await db.query<{ chain: string; anchor_seq: string; anchor_prev_hash: string }>(
    'SELECT chain, anchor_seq, anchor_prev_hash FROM audit_chains ORDER BY created_ms, chain',
  );
  let checked = 0;
  for (const c of chains.rows) {
    let anchor = { seq: Number(c.anchor_seq), prevHash: c.anchor_prev_hash };
    for (;;) {
      const { rows } = await db.query<AuditRow>(
        'SELECT * FROM audit WHERE chain = $1 AND seq >= $2 ORDER BY seq LIMIT $3',
        [c.chain, anchor.seq, PAGE],
      );
      if (rows.length === 0) break;
      const idOf = new Map(rows.map((r) => [Number(r.seq), Number(r.id)]));
      const report = verifyChain(
        rows.map((r) => ({ seq: Number(r.seq), body: r.body, prevHash: r.prev_hash, hash: consistent(r) ? r.hash : 'columns-differ-from-body' })),
        anchor,
      );
      checked += report.checked;
      if (!report.ok) {
        const p = report.problem!;
        return {
          ok: false,
          checked,
          problem: { ...p, seq: idOf.get(p.seq) ?? p.seq, detail: `chain ${c.chain}: ${p.detail}` },
          describe: `in ${chains.rows.length} chains`,
        };
      }
      const last = rows[rows.length - 1]!;
      anchor = { seq: Number(last.seq) + 1, prevHash: last.hash };
      if (rows.length < PAGE) break;
    }
  }
  return { ok: true, checked, describe: `in ${chains.rows.length} chain${chains.rows.length === 1 ? '' : 's'}` };
}

/** Deletes one chain's records before `cutoff` (a prefix) and moves its anchor to the first one kept. */
async function pruneChain(db: pg.PoolClient, chain: string, cutoff: number): Promise<number> {
  const keep = await db.query<{ seq: string }>('SELECT seq FROM audit WHERE chain = $1 AND time_ms >= $2 ORDER BY seq LIMIT 1', [chain, cutoff]);
  const last = await db.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit WHERE chain = $1 ORDER BY seq DESC LIMIT 1', [chain]);
  if (!last.rows[0]) return 0;
  const boundary = keep.rows[0] ? Number(keep.rows[0].seq) : Number(last.rows[0].seq) + 1;
  let deleted = 0;
  for (;;) {
    const first = await db.query<{ seq: string | null }>('SELECT MIN(seq) AS seq FROM audit WHERE chain = $1', [chain]);
    const from = first.rows[0]?.seq;
    if (from === null || from === undefined || Number(from) >= boundary) break;
    const upTo = Math.min(boundary, Number(from) + PAGE);
    const result = await db.query('DELETE FROM audit WHERE chain = $1 AND seq < $2', [chain, upTo]);
    deleted += result.rowCount ?? 0;
  }
  if (deleted === 0) return 0;
  const next = await db.query<{ seq: string; prev_hash: string }>('SELECT seq, prev_hash FROM audit WHERE chain = $1 AND seq = $2', [chain, boundary]);
  const anchor = next.rows[0]
    ? { seq: Number(next.rows[0].seq), prevHash: next.rows[0].prev_hash }
    : { seq: Number(last.rows[0].seq) + 1, prevHash: last.rows[0].hash };
  await db.query('UPDATE audit_chains SET anchor_seq = $2, anchor_prev_hash = $3 WHERE chain = $1', [chain, anchor.seq, anchor.prevHash]);
  return deleted;
}

/** The indexed columns must say what the hashed body says, or a filter could hide a record. */
function consistent(row: AuditRow): boolean {
  try {
    const record = JSON.parse(row.body) as AuditRecord;
    return (
      record.type === row.type &&
      Date.parse(record.time) === Number(row.time_ms) &&
      JSON.stringify(identitiesOf(record as AuditEvent)) === JSON.stringify(row.identities)
    );
  } catch {
    return false;
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
