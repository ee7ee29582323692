/**
 * The answer of every policy function: allow or deny, a reason fit for an audit record and for the
 * caller's error, and the index of the rule that decided, when one did.
 */
export interface Decision {
  readonly allow: boolean;
  readonly reason: string;
  readonly rule?: number;
}

/** An allowing decision made by rule number `rule`. */
export function allowed(reason: string, rule: number): Decision {
  return Object.freeze({ allow: true, reason, rule });
}

/** A denying decision; `rule` is set only when a specific rule refused. */
export function denied(reason: string, rule?: number): Decision {
  return Object.freeze(rule === undefined ? { allow: false, reason } : { allow: false, reason, rule });
}
