import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

const PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: 'file not found',
  ENOTDIR: 'file not found',
  EISDIR: 'is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** Reads a config file as UTF-8; a file that cannot be read is `ERR_CONFIG_MISSING`. */
export function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigError('ERR_CONFIG_MISSING', file, PROBLEMS[code] ?? `cannot be read (${code})`, { cause: error });
  }
}
