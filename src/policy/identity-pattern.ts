import { globMatch } from './glob.js';

const FORBIDDEN = /[\s\u0000-\u001f\u007f]/;
const MAX_LENGTH = 512;

/**
 * True for a usable identity pattern: an exact identity (`ci@clients.acme.causeway`) or a glob where
 * `*` matches any run of characters (`*@clients.acme.causeway`, `*`). No whitespace or control
 * characters, not empty.
 */
export function isIdentityPattern(pattern: string): boolean {
  return pattern.length > 0 && pattern.length <= MAX_LENGTH && !FORBIDDEN.test(pattern);
}

/** Whether `identity` matches `pattern` (anchored, case-sensitive; see {@link globMatch}). */
export function matchesIdentity(pattern: string, identity: string): boolean {
  return pattern.includes('*') ? globMatch(pattern, identity) : pattern === identity;
}
