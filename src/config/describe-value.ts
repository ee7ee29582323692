const MAX_SHOWN = 60;

/**
 * How a value from a config file is named in an error: strings quoted (and shortened), numbers and
 * booleans as written, `null`, `a list`, `a mapping`.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/**
 * A zod error function producing `expected <what>, got <value>`, or `required` when the value is
 * missing.
 */
export function expecting(what: string): (issue: { readonly input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? 'required' : `expected ${what}, got ${describeValue(issue.input)}`);
}
