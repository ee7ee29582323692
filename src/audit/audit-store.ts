import type { AuditSink } from './audit-log.js';
import type { AuditRecord } from './events.js';
import type { ChainReport } from './hash-chain.js';

/** A value now or later: the embedded store answers synchronously, a shared database does not. */
export type Awaitable<T> = T | Promise<T>;

export interface StoredRecord {
  /** The record's number as `audit query` shows it (its place in the one chain, or its row id). */
  seq: number;
  record: AuditRecord;
  /** The chain (one per server process) that holds it, when the store keeps more than one. */
  chain?: string;
}

export interface QueryFilter {
  sinceMs?: number;
  untilMs?: number;
  type?: string;
  identity?: string;
  limit?: number;
}

/** What `audit verify` says on success besides the count. */
export interface VerifiedScope {
  /** "from record 3", or "in 2 chains". */
  describe: string;
}

/**
 * The hash-chained audit store behind the server and `causeway audit`. Writes are accepted at once
 * (the embedded store writes them before returning; a shared database buffers, bounded, and counts what
 * it had to drop); reads may wait for the database. Implementations: SQLite (one chain) and PostgreSQL
 * (one chain per server process).
 */
export interface AuditStore extends AuditSink {
  /** The newest record's sequence number and hash, for the log (and, with several chains, this process's chain). */
  head(): { seq: number; hash: string; chain?: string };
  /** Deletes records past retention, keeping every chain verifiable; returns how many went. */
  prune(nowMs?: number): Awaitable<number>;
  /** Checks every kept chain; reports the first modified, inserted or deleted record. */
  verify(): Awaitable<ChainReport & VerifiedScope>;
  /** Records matching `filter`, oldest first. */
  query(filter?: QueryFilter): Awaitable<StoredRecord[]>;
  /** The newest `limit` records of one type, newest first. */
  recent(type: string, limit: number): Awaitable<AuditRecord[]>;
  /** Writes what is buffered (a store that buffers); resolves once written or a write failed. */
  flush?(): Promise<void>;
  /** Records buffered for the database, and records dropped because the buffer was full. */
  backlog?(): { pending: number; dropped: number };
}
