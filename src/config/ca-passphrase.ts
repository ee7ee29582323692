import { readSecretFile } from './secrets.js';

/** Environment variable holding the CA key passphrase itself. */
export const CA_PASSPHRASE_ENV = 'CAUSEWAY_CA_PASSPHRASE';
/** Environment variable naming a file that holds the CA key passphrase. */
export const CA_PASSPHRASE_FILE_ENV = 'CAUSEWAY_CA_PASSPHRASE_FILE';

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

/**
 * Reads a passphrase or password from a file only its owner can read; one trailing newline is
 * dropped, other line breaks are kept (they may be part of it).
 */
export function readPassphraseFile(file: string, what = 'passphrase'): string {
  return readSecretFile(file, what, { ownerOnly: true, oneLine: false });
}
