import { closeSync, fstatSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { openSecretFile, readAtMost } from './secrets.js';

/** Environment variable holding the CA key passphrase itself. */
export const CA_PASSPHRASE_ENV = 'CAUSEWAY_CA_PASSPHRASE';
/** Environment variable naming a file that holds the CA key passphrase. */
export const CA_PASSPHRASE_FILE_ENV = 'CAUSEWAY_CA_PASSPHRASE_FILE';

const MAX_PASSPHRASE_BYTES = 4096;
const GROUP_OTHER_BITS = 0o077;

/**
 * The passphrase of encrypted CA key files, from (first found) `CAUSEWAY_CA_PASSPHRASE_FILE`,
 * `CAUSEWAY_CA_PASSPHRASE`, or `file` (the server config's `caPassphraseFile` or a `--passphrase-file`
 * flag); undefined when none is set. A passphrase file that group or others can read is refused, like
 * the keys it unlocks; one trailing newline is dropped.
 *
 * @throws {@link ConfigError} naming the file or variable.
 */
export function readCaPassphrase(file?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnvFile = env[CA_PASSPHRASE_FILE_ENV];
  if (fromEnvFile) return readPassphraseFile(fromEnvFile);
  const direct = env[CA_PASSPHRASE_ENV];
  if (direct !== undefined && direct !== '') return direct;
  return file ? readPassphraseFile(file) : undefined;
}

/** Reads a secret from a file only its owner can read; one trailing newline is dropped. */
export function readPassphraseFile(file: string): string {
  let fd: number;
  try {
    fd = openSecretFile(file);
  } catch (cause) {
    throw new ConfigError('ERR_CONFIG_MISSING', file, 'passphrase file cannot be read', { cause });
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.size > MAX_PASSPHRASE_BYTES) {
      throw new ConfigError('ERR_CONFIG_INVALID', file, `expected a regular file of at most ${MAX_PASSPHRASE_BYTES} bytes`);
    }
    if (process.platform !== 'win32' && (stats.mode & GROUP_OTHER_BITS) !== 0) {
      throw new ConfigError('ERR_CONFIG_INVALID', file, `passphrase file is readable by others; run: chmod 600 ${file}`);
    }
    const bytes = readAtMost(fd, MAX_PASSPHRASE_BYTES);
    if (bytes.length > MAX_PASSPHRASE_BYTES) {
      throw new ConfigError('ERR_CONFIG_INVALID', file, `expected a regular file of at most ${MAX_PASSPHRASE_BYTES} bytes`);
    }
    const text = bytes.toString('utf8').replace(/\r?\n$/, '');
    if (text === '') throw new ConfigError('ERR_CONFIG_INVALID', file, 'passphrase file is empty');
    return text;
  } finally {
    closeSync(fd);
  }
}
