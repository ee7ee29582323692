import { closeSync, constants, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { ConfigError } from './errors.js';

/**
 * The secrets Causeway reads, and where each may come from. Every one can be given as a file (the
 * `*_FILE` variable or a `…File` config key: Kubernetes Secret volumes, systemd `LoadCredential=`)
 * or, where noted, directly in the environment; none is ever logged or put in an error message.
 *
 * | secret | file | direct |
 * |---|---|---|
 * | service-account key (agent, client) | `CAUSEWAY_CREDENTIALS_FILE`, `credentials:` | – |
 * | CA key passphrase (server, `ca`) | `CAUSEWAY_CA_PASSPHRASE_FILE`, `caPassphraseFile:` | `CAUSEWAY_CA_PASSPHRASE` |
 * | admin bearer token (every program) | `CAUSEWAY_ADMIN_TOKEN_FILE` | `CAUSEWAY_ADMIN_TOKEN` |
 * | egress proxy password (agent) | `CAUSEWAY_PROXY_PASSWORD_FILE`, `proxy.passwordFile` | in `proxy.url` / `HTTPS_PROXY` |
 * | local proxy password (client) | `auth.passwordFile:` | `auth.password:` |
 */
export const CREDENTIALS_FILE_ENV = 'CAUSEWAY_CREDENTIALS_FILE';
export const ADMIN_TOKEN_ENV = 'CAUSEWAY_ADMIN_TOKEN';
export const ADMIN_TOKEN_FILE_ENV = 'CAUSEWAY_ADMIN_TOKEN_FILE';
export const PROXY_PASSWORD_FILE_ENV = 'CAUSEWAY_PROXY_PASSWORD_FILE';

/** Largest secret file read (tokens, passwords): anything bigger is a wrong path. */
export const MAX_SECRET_FILE_BYTES = 4096;
const GROUP_OTHER_BITS = 0o077;

/**
 * The credential file to use: `CAUSEWAY_CREDENTIALS_FILE` when set (it wins over the config, so a
 * read-only config can be paired with a secret mounted elsewhere), else the config's `credentials:`.
 *
 * @throws {@link ConfigError} when neither names one.
 */
export function credentialsFile(configured: string | undefined, source: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[CREDENTIALS_FILE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return existing(fromEnv, CREDENTIALS_FILE_ENV);
  if (configured !== undefined) return existing(configured, `credentials: in ${source}`);
  throw new ConfigError('ERR_CONFIG_INVALID', source, `required: the credential file (or set ${CREDENTIALS_FILE_ENV})`, { field: 'credentials' });
}

/** `file` when something is there; else an error that says which setting named the missing file. */
function existing(file: string, namedBy: string): string {
  if (!existsSync(file)) throw new ConfigError('ERR_CONFIG_MISSING', file, `credential file not found (named by ${namedBy})`);
  return file;
}

/**
 * The admin listener's bearer token: the contents of `CAUSEWAY_ADMIN_TOKEN_FILE`, else
 * `CAUSEWAY_ADMIN_TOKEN`; undefined when neither is set.
 */
export function adminToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env[ADMIN_TOKEN_FILE_ENV];
  if (file) return readSecretFile(file, 'admin token');
  const token = env[ADMIN_TOKEN_ENV];
  return token && token.length > 0 ? token : undefined;
}

/**
 * Reads a secret (token, password, passphrase) from a file: a regular file of at most
 * {@link MAX_SECRET_FILE_BYTES}, one trailing newline dropped, not empty; by default one line.
 * `ownerOnly` also refuses a file that group or others can read (like the CA keys a passphrase
 * unlocks). Errors name the file and `what`, never the contents.
 */
export function readSecretFile(file: string, what: string, options: { ownerOnly?: boolean; oneLine?: boolean } = {}): string {
  let fd: number;
  try {
    fd = openSecretFile(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigError('ERR_CONFIG_MISSING', file, `${what} file cannot be read (${code})`, { cause });
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.size > MAX_SECRET_FILE_BYTES) {
      throw new ConfigError('ERR_CONFIG_INVALID', file, `expected the ${what} in a regular file of at most ${MAX_SECRET_FILE_BYTES} bytes`);
    }
    if (options.ownerOnly && process.platform !== 'win32' && (stats.mode & GROUP_OTHER_BITS) !== 0) {
      throw new ConfigError('ERR_CONFIG_INVALID', file, `${what} file is readable by others; run: chmod 600 ${file}`);
    }
    const bytes = readAtMost(fd, MAX_SECRET_FILE_BYTES);
    if (bytes.length > MAX_SECRET_FILE_BYTES) {
      throw new ConfigError('ERR_CONFIG_INVALID', file, `expected the ${what} in a regular file of at most ${MAX_SECRET_FILE_BYTES} bytes`);
    }
    const text = bytes.toString('utf8').replace(/\r?\n$/, '');
    if (text === '') throw new ConfigError('ERR_CONFIG_INVALID', file, `${what} file is empty`);
    if ((options.oneLine ?? true) && /[\r\n]/.test(text)) throw new ConfigError('ERR_CONFIG_INVALID', file, `${what} file must hold one line`);
    return text;
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens a secret file for reading without waiting: opening a FIFO (a named pipe) that no one writes
 * would otherwise block the whole process at start-up, silently; non-blocking, it opens at once and
 * the regular-file check that follows refuses it.
 */
function openSecretFile(file: string): number {
  return openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
}

/**
 * Up to `max + 1` bytes of `fd` from its start: a file that grew after its size was checked, or one
 * whose size says 0 (`/proc`), is never read whole. More than `max` bytes means it is too large.
 */
function readAtMost(fd: number, max: number): Buffer {
  const buffer = Buffer.alloc(max + 1);
  let length = 0;
  while (length < buffer.length) {
    const n = readSync(fd, buffer, length, buffer.length - length, length);
    if (n === 0) break;
    length += n;
  }
  return buffer.subarray(0, length);
}
