import diagnostics_channel from 'node:diagnostics_channel';
import { AUDIT_CHANNEL } from '../audit/audit-log.js';
import type { AuditRecord } from '../audit/events.js';
import type { Logger } from '../log/logger.js';

export interface UnauthorizedMonitorOptions {
  /** More refusals than this for one identity or source within `windowMs` logs a warning. */
  threshold: number;
  windowMs: number;
  /** Most identities/sources tracked at once; the oldest is forgotten first. */
  maxKeys?: number;
  now?: () => number;
}

interface Tally {
  windowStart: number;
  count: number;
  warnedAt: number;
}

/**
 * Watches refused authentications and disabled identities; above a rate it logs one warning per
 * identity or source per window, so a flood cannot flood the log too.
 */
export class UnauthorizedMonitor {
  private readonly tallies = new Map<string, Tally>();
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly listener = (message: unknown): void => {
    this.observe(message as AuditRecord);
  };

  constructor(
    private readonly log: Logger,
    private readonly options: UnauthorizedMonitorOptions,
  ) {
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  start(): this {
    diagnostics_channel.subscribe(AUDIT_CHANNEL, this.listener);
    return this;
  }

  stop(): void {
    diagnostics_channel.unsubscribe(AUDIT_CHANNEL, this.listener);
  }

  /** Returns true when this record made the monitor warn. */
  observe(record: AuditRecord): boolean {
    const key = keyOf(record);
    if (!key) return false;
    const now = this.now();
    let tally = this.tallies.get(key);
    if (!tally || now - tally.windowStart >= this.options.windowMs) {
      if (!tally && this.tallies.size >= this.maxKeys) this.tallies.delete(this.tallies.keys().next().value!);
      tally = { windowStart: now, count: 0, warnedAt: tally?.warnedAt ?? -Infinity };
      this.tallies.delete(key);
      this.tallies.set(key, tally);
    }
    tally.count++;
    if (tally.count <= this.options.threshold || now - tally.warnedAt < this.options.windowMs) return false;
    tally.warnedAt = now;
    this.log.warn(
      { who: key, refusals: tally.count, windowMs: this.options.windowMs, threshold: this.options.threshold },
      'repeated unauthorized access attempts',
    );
    return true;
  }
}

/** The identity when known, else the source host (without its port, so reconnects add up). */
function keyOf(record: AuditRecord): string | undefined {
  const source = 'source' in record && typeof record.source === 'string' ? record.source.replace(/:\d+$/, '') : undefined;
  if (record.type === 'token.rejected') return `source ${source ?? 'unknown'}`;
  if (record.type === 'deny' && (record.layer === 'authn' || record.layer === 'identity')) {
    return record.identity && record.identity !== 'unknown' ? `identity ${record.identity}` : `source ${source ?? 'unknown'}`;
  }
  return undefined;
}
