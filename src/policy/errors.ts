/** Stable codes of {@link PolicyError}. */
export type PolicyErrorCode = 'ERR_POLICY_INVALID_RULE';

/**
 * Thrown when a policy is compiled from rules that do not parse (a bad pattern, host or port).
 * Rules that come from a validated config never throw: the config schemas use the same parsers.
 */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  readonly code: PolicyErrorCode;

  constructor(code: PolicyErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
