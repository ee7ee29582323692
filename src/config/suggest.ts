import type { z } from 'zod';

/** At most two edits, and fewer for short keys, so that `p` does not suggest `x`. */
const MAX_DISTANCE = 2;
const CHARS_PER_EDIT = 3;

/**
 * The key of the strict object at `path` in `schema` closest to `unknown` (case ignored, at most one
 * edit per three characters and two in all), to suggest as the intended spelling.
 */
export function suggestKey(schema: z.core.$ZodType, path: readonly PropertyKey[], unknown: string): string | undefined {
  const keys = objectKeysAt(schema, path);
  let best: string | undefined;
  let bestDistance = Math.min(MAX_DISTANCE, Math.floor(unknown.length / CHARS_PER_EDIT)) + 1;
  for (const key of keys) {
    const d = editDistance(key.toLowerCase(), unknown.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [key, d];
  }
  return best;
}

function objectKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.core.$ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    if (node === undefined) return [];
    const def = node._zod.def as unknown as Record<string, unknown>;
    const next =
      def['type'] === 'object' ? (def['shape'] as Record<PropertyKey, z.core.$ZodType>)[segment]
      : def['type'] === 'array' ? def['element']
      : def['type'] === 'record' ? def['valueType']
      : undefined;
    node = next === undefined ? undefined : unwrap(next as z.core.$ZodType);
  }
  const def = node?._zod.def as unknown as Record<string, unknown> | undefined;
  return def?.['type'] === 'object' ? Object.keys(def['shape'] as object) : [];
}

/** Steps through optional/default/prefault/readonly wrappers and into the input side of pipes. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let node = schema;
  for (;;) {
    const def = node._zod.def as unknown as Record<string, unknown>;
    if (def['innerType'] !== undefined) node = def['innerType'] as z.core.$ZodType;
    else if (def['type'] === 'pipe') node = def['in'] as z.core.$ZodType;
    else return node;
  }
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
