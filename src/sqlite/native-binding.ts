import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isSea } from 'node:sea';
import type Database from 'better-sqlite3';

/** File name of better-sqlite3's compiled addon, shipped beside a single-file executable. */
export const SQLITE_ADDON_FILE = 'better_sqlite3.node';

/** The SQLite addon cannot be loaded; `code` is stable. */
export class SqliteAddonError extends Error {
  readonly code = 'ERR_SQLITE_ADDON_MISSING';
  override readonly name = 'SqliteAddonError';
}

let seaAddon: object | undefined;

/**
 * Options that make better-sqlite3 find its native addon. Under npm (node_modules present) it finds
 * its own, so this is empty. A single-file executable cannot hold a native addon: there the addon is
 * the `better_sqlite3.node` beside the executable (built for the very node binary inside it), loaded
 * with a real `require` rooted at the executable.
 *
 * @throws {@link SqliteAddonError} in a single-file executable without the addon beside it.
 */
export function sqliteBindingOptions(): Pick<Database.Options, 'nativeBinding'> {
  if (!isSea()) return {};
  if (seaAddon === undefined) {
    const file = join(dirname(process.execPath), SQLITE_ADDON_FILE);
    if (!existsSync(file)) {
      throw new SqliteAddonError(`${file} is missing: the SQLite store (identity registry, audit log) needs the ${SQLITE_ADDON_FILE} shipped beside the causeway executable`);
    }
    seaAddon = createRequire(process.execPath)(file) as object;
  }
  // better-sqlite3 takes the loaded addon object too (its own docs), though its types say string only.
  return { nativeBinding: seaAddon as unknown as string };
}
