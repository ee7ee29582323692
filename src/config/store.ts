import { z } from 'zod';
import { parseStoreValue, type StoreTarget } from '../store/store-url.js';
import { readPassphraseFile } from './ca-passphrase.js';
import { ConfigError } from './errors.js';

/** Environment variable naming the store (`sqlite` or a postgres:// URL); it wins over the config's `store`. */
export const STORE_URL_ENV = 'CAUSEWAY_STORE_URL';
/** Environment variable naming a file that holds the PostgreSQL password; wins over `storePasswordFile`. */
export const STORE_PASSWORD_FILE_ENV = 'CAUSEWAY_STORE_PASSWORD_FILE';

/** `store:` of the server: `sqlite` (default, files in dataDir) or `postgres://user@host:port/database`. */
export const storeSchema = z
  .string({ error: 'expected "sqlite" or a postgres://user@host:port/database URL' })
  .superRefine((value, ctx) => {
    const parsed = parseStoreValue(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.problem });
  });

/** A store target with its password read, ready to open. */
export interface ResolvedStore {
  target: StoreTarget;
  /** The PostgreSQL password from the password file, if one was named. */
  password?: string | undefined;
}

/**
 * The store to use, from (first found) a command-line `--store`, `CAUSEWAY_STORE_URL`, the config's
 * `store`, else SQLite; the password from (first found) `--store-password-file`,
 * `CAUSEWAY_STORE_PASSWORD_FILE` or the config's `storePasswordFile` — a file only its owner can read.
 * A password in the URL itself works too but is discouraged (it shows in process lists and configs).
 *
 * @throws {@link ConfigError} naming the variable or file; never with the password in it.
 */
export function resolveStore(
  given: { flag?: string | undefined; store?: string | undefined; passwordFlag?: string | undefined; passwordFile?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): ResolvedStore {
  const fromEnv = env[STORE_URL_ENV] || undefined;
  const source = given.flag !== undefined ? '--store' : fromEnv !== undefined ? STORE_URL_ENV : 'store';
  const parsed = parseStoreValue(given.flag ?? fromEnv ?? given.store ?? 'sqlite');
  if (!parsed.ok) throw new ConfigError('ERR_CONFIG_INVALID', source, parsed.problem);
  const passwordFile = given.passwordFlag ?? (env[STORE_PASSWORD_FILE_ENV] || given.passwordFile);
  if (parsed.target.kind === 'sqlite') {
    return { target: parsed.target };
  }
  return { target: parsed.target, password: passwordFile ? readPassphraseFile(passwordFile, 'store password') : undefined };
}
