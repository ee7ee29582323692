import { z } from 'zod';
import { expecting } from './describe-value.js';

/** An integer from `min` to `max` inclusive, with the message `expected an integer from min to max, got …`. */
export function integerSchema(min: number, max: number): z.ZodInt {
  return z.int({ error: expecting(`an integer from ${min} to ${max}`) }).min(min).max(max);
}
