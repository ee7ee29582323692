import diagnostics_channel from 'node:diagnostics_channel';
import { join } from 'node:path';
import { AUDIT_CHANNEL, AuditLog, JsonLinesSink, type AuditSink } from '../audit/audit-log.js';
import type { AuditRecord } from '../audit/events.js';
import type { AuditStore } from '../audit/audit-store.js';
import type { DashboardSnapshot } from '../admin/dashboard.js';
import type { Logger } from '../log/logger.js';
import { createProgramMetrics, type ProgramMetrics } from '../metrics/registry.js';
import { ThroughputSeries } from '../metrics/throughput-series.js';
import { UnauthorizedMonitor } from '../metrics/unauthorized-monitor.js';
import type { ServerContext } from './context.js';

const RECENT_DENIES = 20;
const HEAD_LOG_INTERVAL_MS = 3600_000;

export interface ServerAuditOptions {
  /** 'sqlite' (default): kept in the server's store (<dataDir>/audit.db, or the shared PostgreSQL), hash-chained, pruned after `retentionMs`. */
  store?: 'sqlite' | 'none';
  retentionMs?: number;
  pruneIntervalMs?: number;
  /** JSON lines for log shippers: a file (default <dataDir>/audit.jsonl), and/or stdout. */
  jsonLinesFile?: string | undefined;
  jsonLinesStdout?: boolean;
  unauthorizedWarn?: { threshold: number; windowMs: number };
}

/** The server's audit sinks, built from its options. */
export function openServerAudit(dataDir: string, store: AuditStore | undefined, options: ServerAuditOptions, legacyFile?: string): AuditLog {
  const sinks: AuditSink[] = [];
  if (store) sinks.push(store);
  sinks.push(new JsonLinesSink(options.jsonLinesFile ?? legacyFile ?? join(dataDir, 'audit.jsonl')));
  if (options.jsonLinesStdout) sinks.push(new JsonLinesSink('stdout'));
  return new AuditLog(sinks, 'server');
}

/** Metrics, the unauthorized-access monitor and the dashboard's data, for one running server. */
export class ServerObservability {
  readonly metrics: ProgramMetrics;
  private readonly monitor: UnauthorizedMonitor;
  private readonly series: ThroughputSeries;
  private readonly headTimer: NodeJS.Timeout | undefined;
  private closedBytes = 0;
  private readonly recentDenies: AuditRecord[] = [];
  private readonly onRecord: (record: AuditRecord) => void;
  private readonly listener = (message: unknown): void => this.observe(message as AuditRecord);

  constructor(
    private readonly ctx: ServerContext,
    store: AuditStore | undefined,
    log: Logger,
    ownNotAfter: () => Date | undefined,
    warn: { threshold: number; windowMs: number } = { threshold: 10, windowMs: 60_000 },
    storeUp?: () => boolean,
  ) {
    const backlog = store?.backlog?.bind(store);
    this.metrics = createProgramMetrics('server', {
      agentsConnected: () => ctx.agents.size,
      tunnelsActive: () => ctx.tunnels.size,
      certificateNotAfter: ownNotAfter,
      ...(storeUp ? { storeUp } : {}),
      ...(backlog ? { auditBacklog: backlog } : {}),
    });
    this.monitor = new UnauthorizedMonitor(log.child({ part: 'security' }), warn).start();
    this.onRecord = (record) => {
      if (record.type === 'tunnel.closed') this.closedBytes += record.bytesUp + record.bytesDown;
      if (record.type === 'deny') {
        this.recentDenies.unshift(record);
        if (this.recentDenies.length > RECENT_DENIES) this.recentDenies.pop();
      }
    };
    this.series = new ThroughputSeries(() => ({ bytesTotal: this.closedBytes + this.liveBytes(), tunnels: ctx.tunnels.size })).start();
    // Seed recent denies from the store so a restart does not blank the dashboard.
    if (store) {
      Promise.resolve(store.recent('deny', RECENT_DENIES))
        .then((denies) => {
          for (const d of denies) if (this.recentDenies.length < RECENT_DENIES) this.recentDenies.push(d);
        })
        .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not read recent denies from the audit store'));
    }
    diagnostics_channel.subscribe(AUDIT_CHANNEL, this.listener);
    if (store) {
      // The chain head goes to the debug log (shipped elsewhere), so a wholesale rewrite of the file shows.
      const logHead = (): void => log.info({ auditHead: store.head() }, 'audit chain head');
      logHead();
      this.headTimer = setInterval(logHead, HEAD_LOG_INTERVAL_MS);
      this.headTimer.unref();
    }
  }

  /** Called for each audit record published on the channel. */
  observe(record: AuditRecord): void {
    if (record.emitter === 'server') this.onRecord(record);
  }

  private liveBytes(): number {
    let total = 0;
    for (const t of this.ctx.tunnels.values()) {
      const b = t.relay.bytes();
      total += b.up + b.down;
    }
    return total;
  }

  snapshot(): DashboardSnapshot {
    const now = Date.now();
    return {
      now: new Date(now).toISOString(),
      agents: this.ctx.agents.list().map((a) => ({
        identity: a.identity,
        instanceId: a.instanceId,
        version: a.version,
        address: a.address,
        since: a.since.toISOString(),
      })),
      tunnels: [...this.ctx.tunnels.values()].map((t) => {
        const b = t.relay.bytes();
        return { id: t.id, client: t.client, agent: t.agent, target: t.target, bytesUp: b.up, bytesDown: b.down, ageMs: now - t.startedAt };
      }),
      denies: this.recentDenies.map((r) => {
        const d = r as Extract<AuditRecord, { type: 'deny' }>;
        return { time: d.time, layer: d.layer, ...(d.rule ? { rule: d.rule } : {}), identity: d.identity, ...(d.target ? { target: d.target } : {}), reason: d.reason };
      }),
      series: this.series.list(),
    };
  }

  close(): void {
    this.series.stop();
    if (this.headTimer) clearInterval(this.headTimer);
    this.monitor.stop();
    this.metrics.close();
    diagnostics_channel.unsubscribe(AUDIT_CHANNEL, this.listener);
  }
}
