import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * `parseArgs` that also refuses a string option given twice unless it is `multiple`. node's parser keeps the
 * last value silently, so `--out ./a … --out ./b` (a pasted line plus an edit) would act on ./b and
 * the operator would never know; a repeated flag is a mistake to point at, not to guess through.
 * The error carries an `ERR_PARSE_ARGS_*` code, so main() prints it like parseArgs' own errors.
 */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const parsed = parseArgs({ ...config, tokens: true });
  const seen = new Map<string, string[]>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const option = config.options?.[token.name];
    // A repeated boolean (--once --once) means the same either way; only values can disagree.
    if (option === undefined || option.multiple === true || option.type !== 'string') continue;
    const values = seen.get(token.name) ?? [];
    values.push(token.value ?? '');
    seen.set(token.name, values);
  }
  for (const [name, values] of seen) {
    if (values.length < 2) continue;
    const shown = values.map((v) => JSON.stringify(v)).join(', ');
    const err = new Error(`Option '--${name}' given ${values.length} times (${shown}); it takes one value`) as Error & { code: string };
    err.code = 'ERR_PARSE_ARGS_REPEATED_OPTION';
    throw err;
  }
  return parsed as ReturnType<typeof parseArgs<T>>;
}
