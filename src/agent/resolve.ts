import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface ResolverOptions {
  /** Static name → IP answers consulted before the system resolver (like /etc/hosts, per agent). */
  hosts: Readonly<Record<string, string>>;
}

/**
 * Resolves a name once, returning every address. The agent checks all of them and dials one it
 * checked, so a second lookup (DNS rebinding) can never change what is dialled.
 */
export async function resolveAll(host: string, options: ResolverOptions): Promise<string[]> {
  if (isIP(host)) return [host];
  const name = host.toLowerCase().replace(/\.$/, '');
  const fixed = options.hosts[name];
  if (fixed) return [fixed];
  const answers = await lookup(name, { all: true, verbatim: true });
  return answers.map((a) => a.address);
}
