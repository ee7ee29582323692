import { z } from 'zod';
import { expecting } from './describe-value.js';
import { durationSchema } from './duration.js';
import { integerSchema } from './integer.js';

const SECOND = 1_000;
const DAY = 86_400_000;

/** `audit.unauthorizedWarn:` — above `threshold` refusals per `window` for one identity or source, warn. */
export const unauthorizedWarnSchema = z.strictObject({
  threshold: integerSchema(1, 1_000_000).default(10),
  window: durationSchema({ min: SECOND, max: DAY }).prefault('1m'),
});

/**
 * `audit:` of the server:
 * ```yaml
 * audit:
 *   store: sqlite            # kept, hash-chained, in the server's store (<dataDir>/audit.db, or the shared
 *                            # PostgreSQL database when the server's `store:` names one); or none
 *   retention: 30d           # 1h to 10y
 *   pruneInterval: 1h
 *   jsonLinesFile: ./data/audit.jsonl   # optional; default <dataDir>/audit.jsonl
 *   jsonLinesStdout: false
 *   unauthorizedWarn: { threshold: 10, window: 1m }
 * ```
 */
export const auditConfigSchema = z.strictObject({
  store: z.enum(['sqlite', 'none'], { error: expecting('sqlite or none') }).default('sqlite'),
  retention: durationSchema({ min: 3600 * SECOND, max: 3650 * DAY }).prefault('30d'),
  pruneInterval: durationSchema({ min: SECOND, max: DAY }).prefault('1h'),
  jsonLinesFile: z.string({ error: expecting('a file path') }).min(1, { error: 'expected a file path' }).optional(),
  jsonLinesStdout: z.boolean({ error: expecting('true or false') }).default(false),
  unauthorizedWarn: unauthorizedWarnSchema.prefault({}),
});
