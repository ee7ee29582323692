import { networkInterfaces } from 'node:os';
import { parseIp } from '../policy/ip.js';
import type { SelfEndpoints } from '../policy/self-endpoint.js';

const INTERFACES_TTL_MS = 5_000;
let cached: { at: number; addresses: ReadonlySet<string> } | undefined;

/**
 * The agent's own endpoints for `selfRefusal`: its listening ports and this machine's interface
 * addresses (re-read at most every few seconds, so a new interface is covered soon).
 */
export function ownEndpoints(ports: readonly number[], now = Date.now()): SelfEndpoints {
  if (cached === undefined || now - cached.at > INTERFACES_TTL_MS) {
    const addresses = new Set<string>();
    for (const list of Object.values(networkInterfaces())) {
      for (const info of list ?? []) {
        const ip = parseIp(info.address);
        if (ip.ok) addresses.add(ip.ip.address);
      }
    }
    cached = { at: now, addresses };
  }
  return { ports, addresses: cached.addresses };
}
