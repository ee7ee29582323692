import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

/** Metadata naming the fields of a config schema that hold file-system paths. */
export interface PathFields {
  /** Dot-separated field paths, e.g. `dataDir`, `tls.caFile`. */
  readonly paths: readonly string[];
}

/** Registry of path fields per config schema; see {@link withPathFields}. */
export const pathFieldRegistry = z.registry<PathFields>();

/**
 * Declares which fields of `schema` are file-system paths, so that loading resolves relative ones
 * against the config file's directory. Returns `schema` itself.
 */
export function withPathFields<S extends z.core.$ZodType>(schema: S, paths: readonly string[]): S {
  pathFieldRegistry.add(schema, { paths });
  return schema;
}

/** The path fields declared for `schema` (none when it declared none). */
export function pathFieldsOf(schema: z.core.$ZodType): readonly string[] {
  return pathFieldRegistry.get(schema)?.paths ?? [];
}

/**
 * Returns `value` with each relative path at `paths` made absolute against `baseDir`. Objects along
 * the way are copied, not changed; absent fields are skipped.
 */
export function resolvePathFields<T>(value: T, paths: readonly string[], baseDir: string): T {
  let out: unknown = value;
  for (const path of paths) out = resolveOne(out, path.split('.'), baseDir);
  return out as T;
}

function resolveOne(value: unknown, keys: readonly string[], baseDir: string): unknown {
  const [key, ...rest] = keys;
  if (key === undefined) return typeof value === 'string' && !isAbsolute(value) ? resolve(baseDir, value) : value;
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return value;
  const record = value as Record<string, unknown>;
  return { ...record, [key]: resolveOne(record[key], rest, baseDir) };
}
