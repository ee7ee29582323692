import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditStore } from '../audit/audit-store.js';
import { AUDIT_DB_FILE, SqliteAuditStore } from '../audit/sqlite-store.js';
import { MemoryReplayCache, type ReplayCache } from '../auth/replay-cache.js';
import type { ResolvedStore } from '../config/store.js';
import type { Logger } from '../log/logger.js';
import type { IdentityStore } from '../registry/identity-store.js';
import { openIdentityStore } from '../registry/open-identity-store.js';
import { PgAuditStore } from './postgres/audit-store.js';
import { PgIdentityStore } from './postgres/identity-store.js';
import { ChangeListener } from './postgres/change-listener.js';
import { createPgPool, migrate, withPassword } from './postgres/pool.js';
import { PgReplayCache } from './postgres/replay-cache.js';
import { describeStore } from './store-url.js';

export interface AuditStoreOptions {
  /** Whether the server keeps an audit store at all (`audit.store: none` turns it off). */
  enabled: boolean;
  retentionMs?: number | undefined;
  pruneIntervalMs?: number | undefined;
}

/** Everything a server keeps, in one backend. */
export interface ServerStores {
  /** `sqlite`, or the PostgreSQL URL with its password hidden (for logs, never for remote callers). */
  readonly description: string;
  /** The kind of store, as errors to remote callers name it. */
  readonly kind: 'SQLite' | 'PostgreSQL';
  /**
   * Calls `onChange` whenever another process may have changed an identity (PostgreSQL: LISTEN/NOTIFY,
   * and once after each reconnect). SQLite has no such signal; the server's 1 s poll is all it needs.
   */
  watch(onChange: () => void): void;
  readonly identities: IdentityStore;
  readonly replay: ReplayCache;
  readonly audit: AuditStore | undefined;
  close(): Promise<void>;
}

/**
 * Opens the server's stores: SQLite files in `dataDir` (embedded default; the `jti` cache in memory, as
 * one process owns these files), or the shared PostgreSQL database (schema migrated first, under a lock,
 * so replicas may start together). `chain` names this process's audit chain.
 */
export async function openServerStores(
  resolved: ResolvedStore,
  options: { dataDir: string; chain: string; audit: AuditStoreOptions; log?: Logger | undefined },
): Promise<ServerStores> {
  const description = describeStore(resolved.target);
  if (resolved.target.kind === 'sqlite') {
    const identities = await openIdentityStore(options.dataDir);
    let audit: SqliteAuditStore | undefined;
    try {
      audit = options.audit.enabled
        ? new SqliteAuditStore(join(options.dataDir, AUDIT_DB_FILE), {
            ...(options.audit.retentionMs !== undefined ? { retentionMs: options.audit.retentionMs } : {}),
            ...(options.audit.pruneIntervalMs !== undefined ? { pruneIntervalMs: options.audit.pruneIntervalMs } : {}),
          })
        : undefined;
    } catch (err) {
      await identities.close();
      throw err;
    }
    return {
      description,
      kind: 'SQLite',
      watch: () => undefined,
      identities,
      replay: new MemoryReplayCache(),
      audit,
      close: async () => {
        await audit?.close();
        await identities.close();
      },
    };
  }
  const url = resolved.target.url;
  const pool = createPgPool({ url, password: resolved.password }, options.log);
  try {
    await migrate(pool, url);
    const audit = options.audit.enabled
      ? await PgAuditStore.open(pool, url, {
          chain: options.chain,
          log: options.log,
          ...(options.audit.retentionMs !== undefined ? { retentionMs: options.audit.retentionMs } : {}),
          ...(options.audit.pruneIntervalMs !== undefined ? { pruneIntervalMs: options.audit.pruneIntervalMs } : {}),
        })
      : undefined;
    let listener: ChangeListener | undefined;
    return {
      description,
      kind: 'PostgreSQL',
      watch: (onChange) => {
        listener ??= new ChangeListener(withPassword(url, resolved.password), url, onChange, options.log).start();
      },
      identities: new PgIdentityStore(pool, url),
      replay: new PgReplayCache(pool, url),
      audit,
      close: async () => {
        await listener?.close();
        await audit?.close();
        await pool.end();
      },
    };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}

/** The identity registry alone, for the `identity` commands; `close()` releases it. */
export async function openIdentities(resolved: ResolvedStore, dataDir: string): Promise<IdentityStore> {
  if (resolved.target.kind === 'sqlite') return openIdentityStore(dataDir);
  const { pool, url } = await migratedPool(resolved.target.url, resolved.password);
  return new PgIdentityStore(pool, url, true);
}

/** The audit store for reading (`audit query`, `audit verify`); `close()` releases it. */
export async function openAuditReader(resolved: ResolvedStore, dataDir: string): Promise<AuditStore> {
  if (resolved.target.kind === 'sqlite') {
    const file = join(dataDir, AUDIT_DB_FILE);
    if (!existsSync(file)) throw new Error(`no audit store at ${file}`);
    return new SqliteAuditStore(file, { readonly: true });
  }
  const { pool, url } = await migratedPool(resolved.target.url, resolved.password);
  return PgAuditStore.open(pool, url, { ownsPool: true });
}

/** A pool for a CLI command, with the schema brought up to date; a failure releases the pool. */
async function migratedPool(url: string, password: string | undefined): Promise<{ pool: ReturnType<typeof createPgPool>; url: string }> {
  const pool = createPgPool({ url, password });
  try {
    await migrate(pool, url);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  return { pool, url };
}
