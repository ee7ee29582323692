import type { z } from 'zod';
import { describeValue } from './describe-value.js';

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  map: 'a mapping',
  array: 'a list',
  tuple: 'a list',
};

/**
 * Messages for the zod issues that a schema did not word itself, in the style
 * `expected <what>, got <value>`. Unknown keys are worded by the loader, which knows the file.
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describeValue(issue.input)}`;
    case 'invalid_key':
      return issue.issues[0]?.message;
    case 'too_small':
      return `expected at least ${String(issue.minimum)} ${unit(issue.origin, issue.minimum)}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)} ${unit(issue.origin, issue.maximum)}`;
    default:
      return undefined;
  }
};

function unit(origin: string, count: number | bigint): string {
  const one = Number(count) === 1;
  if (origin === 'string') return one ? 'character' : 'characters';
  if (origin === 'array' || origin === 'set') return one ? 'item' : 'items';
  return '';
}
