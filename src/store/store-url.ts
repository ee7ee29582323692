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
  // `postgres:user:pw@host/db` parses as a scheme with an opaque path: no user info for redaction to find.
  if (!/^postgres(?:ql)?:\/\//i.test(value)) {
    return { ok: false, problem: `expected "sqlite" or a postgres://user@host:port/database URL, got "${redactStoreUrl(value)}"` };
  }
  if (`${url.pathname}${url.search}`.includes('@')) {
    return { ok: false, problem: `an "@" after the host: percent-encode "/", "?", "#" and "@" in the password (or use a password file), got "${redactStoreUrl(value)}"` };
  }
  if (url.pathname.length <= 1) return { ok: false, problem: 'the postgres URL must name a database (postgres://user@host:port/DATABASE)' };
  return { ok: true, target: { kind: 'postgres', url: value } };
}

/**
 * The URL with any password replaced by `***`, for logs and error messages. Text that does not parse
 * as a `scheme://` URL has everything between the scheme and the last `@` hidden, and the values of
 * `…pass…=` parameters, in case they hold a password (a password may hold `/`, `?` or `#`, which
 * break parsing).
 */
export function redactStoreUrl(value: string): string {
  try {
    const url = new URL(value);
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new Error('no authority');
    // An `@` after the host: the user info ended early, at a `/` in an unencoded password.
    if (`${url.pathname}${url.search}${url.hash}`.includes('@')) throw new Error('user info ended early');
    if (url.password) url.password = '***';
    for (const key of [...url.searchParams.keys()]) if (/pass/i.test(key)) url.searchParams.set(key, '***');
    return url.toString();
  } catch {
    return value
      .replace(/^([a-z][a-z0-9+.-]*:(?:\/\/)?)[^]*@/i, '$1***@')
      .replace(/((?:^|[?&;\s])[^=&;\s]*pass[^=&;\s]*=)[^&;\s]*/gi, '$1***');
  }
}

/** A store target for logs: `sqlite`, or the redacted URL. */
export function describeStore(target: StoreTarget): string {
  return target.kind === 'sqlite' ? 'sqlite' : redactStoreUrl(target.url);
}
