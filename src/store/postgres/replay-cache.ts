import type pg from 'pg';
import type { ReplayCache } from '../../auth/replay-cache.js';
import { unavailable } from './pool.js';

/** Expired token ids are deleted at most this often, by whichever replica claims next. */
const PRUNE_INTERVAL_MS = 60_000;

/**
 * The `jti` replay cache in the shared database: one row per token id, claimed with a single
 * insert-or-take-over-expired statement, so two replicas racing on one token cannot both win.
 */
export class PgReplayCache implements ReplayCache {
  #nextPruneAt = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
  ) {}

  async claim(jti: string, expiresAt: Date, now: Date): Promise<boolean> {
    try {
      if (now.getTime() >= this.#nextPruneAt) {
        this.#nextPruneAt = now.getTime() + PRUNE_INTERVAL_MS;
        await this.pool.query('DELETE FROM used_token_ids WHERE expires_ms <= $1', [now.getTime()]);
      }
      const { rowCount } = await this.pool.query(
        `INSERT INTO used_token_ids (jti, expires_ms) VALUES ($1, $2)
         ON CONFLICT (jti) DO UPDATE SET expires_ms = EXCLUDED.expires_ms WHERE used_token_ids.expires_ms <= $3`,
        [jti, expiresAt.getTime(), now.getTime()],
      );
      return rowCount === 1;
    } catch (err) {
      throw unavailable(err, this.url);
    }
  }
}
