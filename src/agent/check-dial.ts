import type { Socket } from 'node:net';
import { decideAddress, decideName } from '../policy/allowlist.js';
import type { Allowlist } from '../policy/allowlist.js';
import type { Decision } from '../policy/decision.js';
import { formatHostPort, normalizeHost } from '../policy/host.js';
import { parseIp } from '../policy/ip.js';
import type { SelfEndpoints } from '../policy/self-endpoint.js';
import { DialResult } from '../protocol/frames.js';
import { dialTarget } from './dial-target.js';
import { ResolveError, type NameResolver } from './resolve.js';

/** What the allowlist check and the dial need. */
export interface DialPolicy {
  readonly allowlist: Allowlist;
  readonly self: SelfEndpoints;
  readonly resolver: NameResolver;
}

/** A dial that passed every check and connected to the checked address. */
export interface CheckedDial {
  readonly ok: true;
  readonly socket: Socket;
  readonly remoteAddress: string;
  /** Canonical host asked for and canonical IP dialled. */
  readonly host: string;
  readonly address: string;
  readonly rule: number | undefined;
}

/** A refused or failed dial: `message` is safe for the caller, `reason` (and `rule`) are for the audit log. */
export interface FailedDial {
  readonly ok: false;
  readonly result: DialResult;
  readonly message: string;
  readonly reason: string;
  readonly rule?: number | undefined;
}

/**
 * The agent's last word on one dial. The host is canonicalised first (the server's canonical form is
 * not trusted); the allowlist decides on the name, the name is resolved once, every address returned
 * is checked (one refused address refuses the dial), and exactly the first checked address is dialled.
 */
export async function checkAndDial(host: string, port: number, policy: DialPolicy, timeoutMs: number): Promise<CheckedDial | FailedDial> {
  const canonical = normalizeHost(host);
  if (canonical.kind === 'invalid') return deny('the target is not a valid host', canonical.reason);
  const target = formatHostPort(canonical.host, port);
  const byName = decideName(policy.allowlist, canonical.host, port);
  if (!byName.allow) return deny(`${target} is not on the agent's allowlist`, byName.reason, byName.rule);

  let addresses: string[];
  if (canonical.kind === 'ip') {
    addresses = [canonical.host];
  } else {
    try {
      addresses = await policy.resolver.resolve(canonical.host);
    } catch (err) {
      const message = err instanceof ResolveError && err.code === 'ERR_RESOLVE_TIMEOUT' ? `${canonical.host} could not be resolved in time` : `${canonical.host} could not be resolved by the agent`;
      return { ok: false, result: DialResult.UNREACHABLE, message, reason: (err as Error).message };
    }
  }
  const checked: string[] = [];
  for (const address of addresses) {
    const byAddress = decideAddress(policy.allowlist, canonical.host, address, port, policy.self);
    if (!byAddress.allow) return deny(`${target} resolves to an address the agent may not dial`, byAddress.reason, byAddress.rule);
    const ip = parseIp(address);
    if (ip.ok) checked.push(ip.ip.address);
  }
  const address = checked[0];
  if (address === undefined) return { ok: false, result: DialResult.UNREACHABLE, message: `${canonical.host} has no addresses`, reason: 'no usable address' };
  const dialled = await dialTarget(address, port, timeoutMs);
  if (!dialled.ok) return { ...dialled, reason: dialled.message };
  return { ok: true, socket: dialled.socket, remoteAddress: dialled.remoteAddress, host: canonical.host, address, rule: byName.rule };
}

/**
 * Whether a live tunnel to `host:port` at `address` is still allowed by `policy` (after a reload);
 * the refusal's reason when it is not.
 */
export function stillAllowed(host: string, port: number, address: string, policy: Omit<DialPolicy, 'resolver'>): Decision {
  const byName = decideName(policy.allowlist, host, port);
  if (!byName.allow) return byName;
  return decideAddress(policy.allowlist, host, address, port, policy.self);
}

function deny(message: string, reason: string, rule?: number): FailedDial {
  return { ok: false, result: DialResult.DENIED, message, reason, rule };
}
