/** What the server keeps its shared state in. */
export type StoreTarget = { kind: 'sqlite' } | { kind: 'postgres'; url: string; passwordFile?: string | undefined };

const POSTGRES_SCHEMES = ['postgres:', 'postgresql:'];

/** Parses a `store` value: `sqlite`, or a `postgres://` / `postgresql://` URL. Returns a problem otherwise. */
export function parseStoreValue(value: string): { ok: true; target: StoreTarget } | { ok: false; problem: string } {
  if (value === 'sqlite') return { ok: true, target: { kind: 'sqlite' } };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, problem: `expected "sqlite" or a postgres://user@host:port/database URL, got "${redactStoreUrl(value)}"` };
  }
  if (!POSTGRES_SCHEMES.includes(url.protocol)) {
    return { ok: false, problem: `expected "sqlite" or a postgres:// URL, got the scheme "${url.protocol}"` };
  }
  if (url.pathname.length <= 1) return { ok: false, problem: 'the postgres URL must name a database (postgres://user@host:port/DATABASE)' };
  return { ok: true, target: { kind: 'postgres', url: value } };
}

/**
 * The URL with any password replaced by `***`, for logs and error messages. Text that does not parse
 * as a URL has everything between `://` and the last `@` hidden, in case it holds a password.
 */
export function redactStoreUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    for (const key of [...url.searchParams.keys()]) if (/pass/i.test(key)) url.searchParams.set(key, '***');
    return url.toString();
  } catch {
    return value.replace(/(:\/\/)[^/]*@/, '$1***@');
  }
}

/** A store target for logs: `sqlite`, or the redacted URL. */
export function describeStore(target: StoreTarget): string {
  return target.kind === 'sqlite' ? 'sqlite' : redactStoreUrl(target.url);
}
