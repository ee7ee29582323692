import { lookup } from 'node:dns/promises';
import { Resolver } from 'node:dns/promises';

/** How the agent turns a name into addresses. */
export interface ResolverOptions {
  /** Static name → IP answers consulted before any resolver (like /etc/hosts, per agent). */
  hosts: Readonly<Record<string, string>>;
  /** Resolvers to query directly (`ip:port`); when absent the system resolver (getaddrinfo) is used. */
  servers?: readonly string[] | undefined;
  /** Upper bound on one resolution. */
  timeoutMs: number;
}

/** Stable codes of {@link ResolveError}. */
export type ResolveErrorCode = 'ERR_RESOLVE_TIMEOUT' | 'ERR_RESOLVE_FAILED' | 'ERR_RESOLVE_NO_ADDRESSES';

export class ResolveError extends Error {
  override readonly name = 'ResolveError';
  constructor(
    readonly code: ResolveErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const EMPTY_ANSWER = new Set(['ENODATA', 'ENOTFOUND', 'ENONAME']);

/**
 * Resolves names once per dial, returning every address. The agent checks all of them and dials one
 * it checked, so a second lookup (DNS rebinding) can never change what is dialled.
 */
export class NameResolver {
  private readonly resolver: Resolver | undefined;

  constructor(private readonly options: ResolverOptions) {
    if (options.servers !== undefined && options.servers.length > 0) {
      this.resolver = new Resolver({ timeout: options.timeoutMs, tries: 1 });
      this.resolver.setServers([...options.servers]);
    }
  }

  /**
   * Every address of the canonical name `name` (A and AAAA), in answer order. All of them are returned
   * so that all are checked; a DNS message bounds how many there can be.
   */
  async resolve(name: string): Promise<string[]> {
    const fixed = this.options.hosts[name];
    if (fixed !== undefined) return [fixed];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      // Not resolver.cancel(): that would cancel every dial's queries, not only this one.
      timer = setTimeout(() => {
        reject(new ResolveError('ERR_RESOLVE_TIMEOUT', `resolving ${name} took longer than ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
    });
    try {
      const addresses = await Promise.race([this.resolver ? this.query(this.resolver, name) : this.lookup(name), deadline]);
      if (addresses.length === 0) throw new ResolveError('ERR_RESOLVE_NO_ADDRESSES', `${name} has no addresses`);
      return addresses;
    } finally {
      clearTimeout(timer);
    }
  }

  private async lookup(name: string): Promise<string[]> {
    try {
      return (await lookup(name, { all: true, verbatim: true })).map((a) => a.address);
    } catch (err) {
      throw failed(name, err);
    }
  }

  private async query(resolver: Resolver, name: string): Promise<string[]> {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
    const out: string[] = [];
    for (const answer of [v4, v6]) {
      if (answer.status === 'fulfilled') out.push(...answer.value);
      else if (!EMPTY_ANSWER.has((answer.reason as NodeJS.ErrnoException).code ?? '')) throw failed(name, answer.reason);
    }
    return out;
  }
}

function failed(name: string, err: unknown): ResolveError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && EMPTY_ANSWER.has(code)) return new ResolveError('ERR_RESOLVE_NO_ADDRESSES', `${name} has no addresses`);
  return new ResolveError('ERR_RESOLVE_FAILED', `resolving ${name} failed (${code ?? 'error'})`);
}
