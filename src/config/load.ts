import { dirname, resolve } from 'node:path';
import type { ZodType } from 'zod';
import type { Frozen } from './freeze.js';
import { readConfigText } from './read-file.js';
import { validateConfig } from './validate.js';
import { parseYaml } from './yaml.js';

export type { Frozen } from './freeze.js';

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** Directory that relative path fields are resolved against; default: the working directory. */
  readonly baseDir?: string;
}

/**
 * Reads a YAML config file, validates it against `schema` (unknown keys are errors, defaults
 * applied), resolves the schema's relative path fields against the file's directory, and returns
 * the result deep-frozen. Throws {@link ConfigError} with a one-line message naming the file and
 * the first bad field.
 */
export function loadConfigFile<T>(file: string, schema: ZodType<T>): Frozen<T> {
  const data = parseYaml(readConfigText(file), file);
  return validateConfig(data, schema, file, dirname(resolve(file)));
}

/**
 * Validates a config built in memory, as {@link loadConfigFile} does a file; `sourceName` stands for
 * the file name in errors.
 */
export function parseConfig<T>(obj: unknown, schema: ZodType<T>, sourceName: string, options: ParseConfigOptions = {}): Frozen<T> {
  return validateConfig(obj, schema, sourceName, resolve(options.baseDir ?? '.'));
}
