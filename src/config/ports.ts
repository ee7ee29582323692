import { z } from 'zod';
import { MAX_PORT, MIN_PORT, parsePortSpec } from '../policy/port-range.js';
import type { PortRange } from '../policy/port-range.js';
import { describeValue, expecting } from './describe-value.js';

const SINGLE = `an integer from ${MIN_PORT} to ${MAX_PORT}`;
const RANGE = `a port range like "8000-8100" within ${MIN_PORT} to ${MAX_PORT}`;

/** One port (`443`, `"443"`) or range (`"8000-8100"`), given back as a {@link PortRange}. */
export const portSpecSchema: z.ZodType<PortRange, number | string> = z
  .union([z.number(), z.string()], { error: expecting(SINGLE) })
  .transform((spec, ctx) => {
    const range = parsePortSpec(spec);
    if (range !== undefined) return range;
    const what = typeof spec === 'string' && spec.includes('-') ? RANGE : SINGLE;
    ctx.issues.push({ code: 'custom', input: spec, message: `expected ${what}, got ${describeValue(spec)}` });
    return z.NEVER;
  });

/** A non-empty list of ports and ranges, e.g. `[443, 22, "8000-8100"]`. */
export const portListSchema = z
  .array(portSpecSchema, { error: expecting('a list of ports, like [443, 22, "8000-8100"]') })
  .min(1, { error: 'expected at least one port' });
