import pg from 'pg';
import type { Logger } from '../../log/logger.js';
import { RegistryError } from '../../registry/identity-store.js';
import { redactStoreUrl } from '../store-url.js';
import { PG_MIGRATIONS } from './migrations.js';

/** A connection attempt gives up after this, so a request fails closed fast while the database is away. */
const CONNECT_TIMEOUT_MS = 2000;
/** A query gives up after this (client side, and the same statement_timeout on the server). */
export const QUERY_TIMEOUT_MS = 3000;
const MAX_CONNECTIONS = 10;
const IDLE_TIMEOUT_MS = 10_000;
/**
 * How long schema work may take: waiting for another replica's migration, or one step over a large
 * table. Far above the request timeout, which would make a replica that starts beside a migrating one
 * fail to start.
 */
const MIGRATION_TIMEOUT_MS = 5 * 60_000;
/** Advisory lock key held while migrating, so replicas starting together migrate once. */
export const MIGRATION_LOCK = 0x6361_7573; // "caus"

export interface PgConnection {
  url: string;
  password?: string | undefined;
}

/**
 * A small pool to the shared database with short timeouts: while the database is away each request
 * fails within a few seconds (and callers fail closed) instead of queueing without bound; when it
 * returns the next request opens a new connection, so recovery needs no restart.
 */
export function createPgPool(connection: PgConnection, log?: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: withPassword(connection.url, connection.password),
    max: MAX_CONNECTIONS,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    statement_timeout: QUERY_TIMEOUT_MS,
    application_name: 'causeway',
  });
  // An idle connection the server closes (a restart, an outage) must not crash the process.
  pool.on('error', (err) => log?.warn({ err: safeMessage(err, connection.url) }, 'shared store connection lost'));
  return pool;
}

/**
 * Applies the schema steps not yet applied, under an advisory lock so replicas that start together
 * take turns: the first migrates, the others then find nothing left to do.
 */
export async function migrate(pool: pg.Pool, url: string): Promise<void> {
  const client = await pool.connect().catch((err: unknown) => {
    throw unavailable(err, url);
  });
  // This session only, and reset before the connection goes back to the pool.
  const query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> =>
    client.query<R>({ text, values, query_timeout: MIGRATION_TIMEOUT_MS } as pg.QueryConfig);
  try {
    await query(`SET statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
    await query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await query('CREATE TABLE IF NOT EXISTS causeway_schema (version INTEGER NOT NULL)');
      await query('INSERT INTO causeway_schema (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM causeway_schema)');
      const { rows } = await query<{ version: number }>('SELECT version FROM causeway_schema');
      const version = rows[0]?.version ?? 0;
      if (version > PG_MIGRATIONS.length) {
        throw new RegistryError(
          'ERR_REGISTRY_VERSION',
          `${redactStoreUrl(url)}: written by a newer causeway (schema ${version}, this one knows ${PG_MIGRATIONS.length})`,
        );
      }
      for (let step = version; step < PG_MIGRATIONS.length; step++) {
        await query('BEGIN');
        try {
          await query(PG_MIGRATIONS[step]!);
          await query('UPDATE causeway_schema SET version = $1', [step + 1]);
          await query('COMMIT');
        } catch (err) {
          await query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
    } finally {
      await query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      await query('RESET statement_timeout').catch(() => undefined);
    }
  } catch (err) {
    throw err instanceof RegistryError ? err : unavailable(err, url);
  } finally {
    client.release();
  }
}

/** Runs `work` in one transaction on one connection. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** A database failure as the registry's stable `ERR_REGISTRY_UNAVAILABLE`, the URL's password hidden. */
export function unavailable(err: unknown, url: string): RegistryError {
  if (err instanceof RegistryError) return err;
  return new RegistryError('ERR_REGISTRY_UNAVAILABLE', `shared store ${redactStoreUrl(url)} unavailable: ${safeMessage(err, url)}`, { cause: err });
}

/** An error's message with the URL and any password in it redacted. */
export function safeMessage(err: unknown, url: string): string {
  const message = err instanceof Error ? err.message : String(err);
  const redacted = redactStoreUrl(url);
  let out = message.split(url).join(redacted);
  try {
    const password = new URL(url).password;
    if (password) out = out.split(decodeURIComponent(password)).join('***');
  } catch {
    // not a URL; nothing more to hide
  }
  return out;
}

/**
 * The URL with the password from the password file in it: pg lets a URL's (empty) password override
 * a separate `password` option. The result is handed to pg only, never logged.
 */
export function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}
