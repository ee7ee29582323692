/**
 * Stable codes of {@link ConfigError}:
 * - `ERR_CONFIG_MISSING`: the file cannot be read (not found, a directory, permission denied).
 * - `ERR_CONFIG_YAML`: the file is not well-formed (YAML, or JSON for credential files).
 * - `ERR_CONFIG_INVALID`: a value is missing, of the wrong type or out of range.
 * - `ERR_CONFIG_UNKNOWN_KEY`: a key the schema does not know (often a typo).
 */
export type ConfigErrorCode = 'ERR_CONFIG_MISSING' | 'ERR_CONFIG_YAML' | 'ERR_CONFIG_INVALID' | 'ERR_CONFIG_UNKNOWN_KEY';

/** Where and why, for {@link ConfigError}. */
export interface ConfigErrorOptions {
  /** Path of the offending field, e.g. `allow[1].ports[0]`; omitted for whole-file problems. */
  readonly field?: string | undefined;
  /** The underlying error, for the log; never part of the message. */
  readonly cause?: unknown;
}

/**
 * A config or credential file that cannot be used. The message is one line,
 * `<file>: <field.path>: <problem>` (or `<file>: <problem>`), fit to print as it is:
 * `agent.yaml: allow[1].ports[0]: expected an integer from 1 to 65535, got "http"`.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  /** The file as the caller named it (or the source name of an in-memory config). */
  readonly file: string;
  declare readonly field?: string;
  /** The message without the file and field. */
  readonly problem: string;

  constructor(code: ConfigErrorCode, file: string, problem: string, options: ConfigErrorOptions = {}) {
    const oneLine = problem.replace(/\s*[\r\n]+\s*/g, ' ').trim();
    const where = options.field === undefined || options.field === '' ? file : `${file}: ${options.field}`;
    super(`${where}: ${oneLine}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = file;
    if (options.field !== undefined && options.field !== '') this.field = options.field;
    this.problem = oneLine;
  }
}
