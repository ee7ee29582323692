/**
 * Counts identity decisions by event and code (`issuance`/`ok`, `issuance`/`ERR_TOKEN_REPLAY`,
 * `stream`/`ERR_KEY_REMOVED`, `revoked`/`ERR_IDENTITY_DISABLED`, …) for the metrics endpoint to
 * export. Label values come from fixed code unions, so the number of series stays bounded.
 */
export class DecisionCounters {
  readonly #counts = new Map<string, { event: string; code: string; count: number }>();

  increment(event: string, code = 'ok'): void {
    const key = `${event}\u0000${code}`;
    const entry = this.#counts.get(key);
    if (entry) entry.count++;
    else this.#counts.set(key, { event, code, count: 1 });
  }

  get(event: string, code = 'ok'): number {
    return this.#counts.get(`${event}\u0000${code}`)?.count ?? 0;
  }

  snapshot(): { event: string; code: string; count: number }[] {
    return [...this.#counts.values()].map((e) => ({ ...e }));
  }
}

/** The process-wide identity decision counters. */
export const identityDecisions = new DecisionCounters();
