import type { z } from 'zod';
import { ConfigError } from './errors.js';
import { formatFieldPath } from './field-path.js';
import { suggestKey } from './suggest.js';

/**
 * Turns the issues of a failed validation into one {@link ConfigError}. Unknown keys come first,
 * since a misspelt key usually explains the other issues; otherwise the first issue is reported.
 * An unknown key is reported at its parent (`server.yaml: limits: unknown key "dialTimout" (did you
 * mean "dialTimeout"?)`; at the top level there is no field).
 */
export function configErrorFromIssues(issues: readonly z.core.$ZodIssue[], schema: z.core.$ZodType, source: string): ConfigError {
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
  if (issue === undefined) return new ConfigError('ERR_CONFIG_INVALID', source, 'invalid');
  const field = formatFieldPath(issue.path);
  if (issue.code !== 'unrecognized_keys') return new ConfigError('ERR_CONFIG_INVALID', source, issue.message, { field });
  const described = issue.keys.map((key) => {
    const suggestion = suggestKey(schema, issue.path, key);
    return suggestion === undefined ? JSON.stringify(key) : `${JSON.stringify(key)} (did you mean ${JSON.stringify(suggestion)}?)`;
  });
  const problem = `unknown ${described.length === 1 ? 'key' : 'keys'} ${described.join(', ')}`;
  return new ConfigError('ERR_CONFIG_UNKNOWN_KEY', source, problem, { field });
}
