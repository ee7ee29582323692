import { z } from 'zod';
import { parseAddress, type HostPort } from './address.js';
import { describeValue, expecting } from './describe-value.js';

/** A fixed forward: local listen address → destination behind an agent. */
export interface ForwardConfig {
  readonly listen: HostPort;
  readonly target: HostPort;
}

const EXPECTED = 'a forward like "127.0.0.1:2222=git.corp.test:22" (listen=target)';

export type ForwardParse = { readonly ok: true; readonly forward: ForwardConfig } | { readonly ok: false; readonly problem: string };

/** Parses `LISTEN=TARGET`, as `--forward` and the config's `forwards:` list take it. */
export function parseForward(text: string): ForwardParse {
  const parts = text.split('=');
  if (parts.length !== 2) return { ok: false, problem: `expected ${EXPECTED}, got ${describeValue(text)}` };
  const listen = parseAddress(parts[0]!.trim(), { allowPortZero: true });
  if (!listen.ok) return { ok: false, problem: `listen address: ${listen.problem}` };
  const target = parseAddress(parts[1]!.trim());
  if (!target.ok) return { ok: false, problem: `target: ${target.problem}` };
  return { ok: true, forward: { listen: listen.address, target: target.address } };
}

/** One entry of `forwards:` in client.yaml. */
export const forwardSchema = z.string({ error: expecting(EXPECTED) }).transform((text, ctx) => {
  const parsed = parseForward(text);
  if (parsed.ok) return parsed.forward;
  ctx.issues.push({ code: 'custom', input: text, message: parsed.problem });
  return z.NEVER;
});
