/**
 * The canonical encoding hashed by the chain: JSON with object keys sorted at every level, no
 * whitespace, `undefined` members dropped. JSON.stringify escapes every control character (\n, ESC as
 * \u001b), so a value from the wire stays inside its string and cannot start another record.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) out[key] = sortKeys(member);
    }
    return out;
  }
  return value;
}
