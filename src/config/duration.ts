import { z } from 'zod';
import { describeValue, expecting } from './describe-value.js';

/** Milliseconds per duration unit. */
export const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const INTEGER = /^\d+$/;
const PARTS = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const EXPECTED = 'a duration like "250ms", "30s", "5m", "24h" or "7d"';

/**
 * Parses `250ms`, `30s`, `5m`, `24h`, `7d`, sums such as `1h30m`, and plain integers (number or
 * digit string) as milliseconds. Returns whole milliseconds, or `undefined` when the input is not a
 * non-negative duration.
 */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isSafeInteger(input) && input >= 0 ? input : undefined;
  if (INTEGER.test(input)) return parseDuration(Number(input));
  if (!PARTS.test(input)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of input.matchAll(PART)) ms += Number(amount) * (DURATION_UNITS[unit as string] as number);
  ms = Math.round(ms);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** The shortest exact spelling of `ms`: `7d`, `90s`, `1500ms`. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = DURATION_UNITS[unit] as number;
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Bounds for {@link durationSchema}, in milliseconds. */
export interface DurationBounds {
  readonly min?: number;
  readonly max?: number;
}

/** A zod schema taking a duration (see {@link parseDuration}) and giving milliseconds. */
export function durationSchema(bounds: DurationBounds = {}): z.ZodType<number, string | number> {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = bounds;
  return z.union([z.string(), z.number()], { error: expecting(EXPECTED) }).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.issues.push({ code: 'custom', input: value, message: `expected ${EXPECTED}, got ${describeValue(value)}` });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${formatDuration(min)}` : `from ${formatDuration(min)} to ${formatDuration(max)}`;
      ctx.issues.push({ code: 'custom', input: value, message: `expected a duration ${range}, got ${describeValue(value)}` });
      return z.NEVER;
    }
    return ms;
  });
}
