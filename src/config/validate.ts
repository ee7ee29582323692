import type { ZodType } from 'zod';
import { configErrorMap } from './error-map.js';
import { deepFreeze } from './freeze.js';
import type { Frozen } from './freeze.js';
import { configErrorFromIssues } from './issue.js';
import { pathFieldsOf, resolvePathFields } from './path-fields.js';

/**
 * Validates `input` against `schema`, resolves the schema's path fields against `baseDir` and
 * deep-freezes the result. Throws {@link ConfigError} naming `source` and the first bad field.
 */
export function validateConfig<T>(input: unknown, schema: ZodType<T>, source: string, baseDir: string): Frozen<T> {
  const result = schema.safeParse(input, { error: configErrorMap });
  if (!result.success) throw configErrorFromIssues(result.error.issues, schema, source);
  return deepFreeze(resolvePathFields(result.data, pathFieldsOf(schema), baseDir));
}
