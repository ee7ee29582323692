import type { z } from 'zod';
import { agentConfigSchema } from './agent.js';
import { clientConfigSchema } from './client.js';
import { configErrorMap } from './error-map.js';
import { FIELD_DOCS, type ConfigFileName } from './field-docs.js';
import { pathFieldsOf } from './path-fields.js';
import { serverConfigSchema } from './server.js';

/**
 * The config reference (docs/config.md), generated from the zod schemas themselves: the keys, which are
 * required, their defaults and the values each takes come from the schema (the value text is the very
 * "expected …" a wrong value gets from the loader); only the one-line descriptions live beside it, in
 * field-docs.ts. A key without a description, or a description without a key, is an error, so the
 * reference cannot drift from the schemas.
 */

type AnySchema = z.core.$ZodType;

/** One documented key. */
export interface FieldRow {
  /** Dotted path; `[]` marks the items of a list, e.g. `allow[].ports`. */
  readonly path: string;
  /** What values it takes, as the loader words it. */
  readonly type: string;
  /** Required (no default and not optional). */
  readonly required: boolean;
  /** The default as one would write it in YAML, when there is one. */
  readonly default?: string;
  /** Relative paths in it resolve against the config file's directory. */
  readonly isPath: boolean;
}

/** The documented config files and their schemas. */
export const CONFIG_SCHEMAS: Readonly<Record<ConfigFileName, AnySchema>> = {
  'server.yaml': serverConfigSchema,
  'agent.yaml': agentConfigSchema,
  'client.yaml': clientConfigSchema,
};

/** An undocumented key, or a description of a key that no longer exists. */
export class ConfigReferenceError extends Error {
  override readonly name = 'ConfigReferenceError';
}

const PROBE_WRONG_TYPE = Object.freeze({ '\u0000probe': 1 });
const PROBE_HUGE_DURATION = '99999999d';

function def(schema: AnySchema): z.core.$ZodTypeDef & Record<string, unknown> {
  return schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
}

/** The loader's "expected …" for a wrong value, without the ", got …" tail. */
function expected(schema: AnySchema, input: unknown): string | undefined {
  const result = (schema as unknown as z.ZodType).safeParse(input, { error: configErrorMap });
  if (result.success) return undefined;
  const message = result.error.issues[0]?.message ?? '';
  const m = /^expected (.*?)(?:, got .*)?$/.exec(message);
  return m ? m[1] : undefined;
}

/** What values a leaf takes, worded as the loader words a wrong one. */
function typeText(schema: AnySchema): string {
  const d = def(schema);
  if (d.type === 'record') {
    const value = expected(d['valueType'] as AnySchema, PROBE_WRONG_TYPE);
    return value ? `a mapping of names to ${value}` : 'a mapping';
  }
  let text = expected(schema, PROBE_WRONG_TYPE) ?? d.type;
  if (text.startsWith('a duration like')) {
    const range = expected(schema, PROBE_HUGE_DURATION);
    if (range && range.startsWith('a duration ')) text = range;
  }
  return text;
}

function yamlValue(value: unknown): string {
  if (typeof value === 'string') return /^[\w./:-]+$/.test(value) && !/^(true|false|null|\d+)$/.test(value) ? value : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(yamlValue).join(', ')}]`;
  if (value !== null && typeof value === 'object') return Object.keys(value).length === 0 ? '{}' : JSON.stringify(value);
  return String(value);
}

/** Every key of a config schema, depth first, in schema order. */
export function configFields(schema: AnySchema): FieldRow[] {
  const paths = new Set(pathFieldsOf(schema));
  const rows: FieldRow[] = [];
  const visit = (node: AnySchema, path: string, required: boolean, defaultValue: string | undefined): void => {
    const d = def(node);
    if (d.type === 'optional') return visit(d['innerType'] as AnySchema, path, false, defaultValue);
    if (d.type === 'default' || d.type === 'prefault') {
      const raw = d['defaultValue'];
      const value = typeof raw === 'function' ? (raw as () => unknown)() : raw;
      return visit(d['innerType'] as AnySchema, path, false, yamlValue(value));
    }
    if (d.type === 'object') {
      if (path !== '' && !path.endsWith('[]')) rows.push({ path, type: 'a mapping (keys below)', required, isPath: false, ...(defaultValue !== undefined ? { default: defaultValue } : {}) });
      for (const [key, child] of Object.entries(d['shape'] as Record<string, AnySchema>)) visit(child, path === '' ? key : `${path}.${key}`, true, undefined);
      return;
    }
    if (d.type === 'array') {
      const element = d['element'] as AnySchema;
      const list = expected(node, PROBE_WRONG_TYPE) ?? 'a list';
      if (def(element).type === 'object') {
        rows.push({ path, type: `${list}; each a mapping with the keys below`, required, isPath: false, ...(defaultValue !== undefined ? { default: defaultValue } : {}) });
        return visit(element, `${path}[]`, true, undefined);
      }
      rows.push({ path, type: `${list}; each ${typeText(element)}`, required, isPath: false, ...(defaultValue !== undefined ? { default: defaultValue } : {}) });
      return;
    }
    rows.push({ path, type: typeText(node), required, isPath: paths.has(path), ...(defaultValue !== undefined ? { default: defaultValue } : {}) });
  };
  visit(schema, '', true, undefined);
  return rows;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * docs/config.md.
 *
 * @throws {@link ConfigReferenceError} naming every undocumented key and every stale description.
 */
export function renderConfigReference(
  schemas: Readonly<Record<string, AnySchema>> = CONFIG_SCHEMAS,
  fieldDocs: Readonly<Record<string, Readonly<Record<string, string>>>> = FIELD_DOCS,
): string {
  const problems: string[] = [];
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run docs:config` from the zod schemas in src/config (descriptions: src/config/field-docs.ts). Do not edit by hand. -->',
    '',
    'Every program reads one YAML file (`--config FILE`). Unknown keys are errors (a typo is reported with',
    'the key it probably meant), every value is checked at start, and a bad one stops the program with one',
    'line naming the file and the key. Relative paths resolve against the directory of the config file.',
    'Durations are written `250ms`, `30s`, `5m`, `24h`, `7d` or summed like `1h30m`; a plain integer is',
    'milliseconds. Examples that pass these checks: [examples/](../examples/).',
    '',
    'Secrets never live in these files: the credential file (`causeway identity create`) holds the key, and',
    '`CAUSEWAY_ADMIN_TOKEN_FILE` / `CAUSEWAY_ADMIN_TOKEN` the admin listener\'s bearer token. Environment:',
    '`CAUSEWAY_LOG_LEVEL` (debug, info, warn, error; default info).',
    '',
  ];
  for (const [file, schema] of Object.entries(schemas)) {
    const docs = fieldDocs[file] ?? {};
    const rows = configFields(schema);
    out.push(`## ${file}`, '', docs[''] ?? '', '', '| key | values | default | description |', '|---|---|---|---|');
    for (const row of rows) {
      const description = docs[row.path];
      if (description === undefined) problems.push(`${file}: ${row.path} has no description in src/config/field-docs.ts`);
      const dflt = row.default !== undefined ? `\`${row.default}\`` : row.required ? '**required**' : '(unset)';
      const path = row.isPath ? `${row.type} (relative to the config file)` : row.type;
      out.push(`| \`${row.path}\` | ${cell(path)} | ${cell(dflt)} | ${cell(description ?? '')} |`);
    }
    out.push('');
    const known = new Set(['', ...rows.map((r) => r.path)]);
    for (const key of Object.keys(docs)) if (!known.has(key)) problems.push(`${file}: src/config/field-docs.ts describes ${key}, which the schema does not have`);
  }
  if (problems.length > 0) throw new ConfigReferenceError(problems.join('\n'));
  return `${out.join('\n').trimEnd()}\n`;
}
