import { AUDIT_EVENT_TYPES } from '../audit/events.js';
import { formatJsonLines, formatTable, parseSince } from '../audit/query.js';
import { AUDIT_DB_FILE } from '../audit/sqlite-store.js';
import { openAuditReader } from '../store/open-stores.js';
import { parseDuration } from '../config/duration.js';
import { UsageError } from './usage.js';
import { parseCommandLine } from './args.js';
import { SERVER_STORE_OPTIONS, serverStoreFromFlags } from './server-store-flags.js';

export const AUDIT_HELP = `Usage: causeway audit query  (--data-dir DIR | --config server.yaml | --store URL) [filters] [--format table|json]
       causeway audit verify (--data-dir DIR | --config server.yaml | --store URL)

Reads the server's audit store (<dataDir>/${AUDIT_DB_FILE}, or the PostgreSQL database replicas share:
--store postgres://user@host:port/db, CAUSEWAY_STORE_URL, or the config's store; the password from
--store-password-file, CAUSEWAY_STORE_PASSWORD_FILE or the config's storePasswordFile); safe while
servers run. With PostgreSQL every server process writes its own chain; query shows them all, verify
checks each.

query     prints matching records, oldest first
  --since D        records from D ago (1h, 30m, 7d) or since an ISO time (2026-01-02T03:04:05Z)
  --until D        records before D ago, or before an ISO time
  --identity NAME  records about NAME (as identity, client or agent)
  --type T         event type, or a prefix family: ${AUDIT_EVENT_TYPES.join(', ')}; 'tunnel' = tunnel.*
  --limit N        at most the newest N matches (default 1000)
  --format F       table (default; control characters shown escaped) or json (one object per line)

verify    checks the hash chain from the oldest kept record; exit 0 when intact, 1 naming the first
          modified, inserted or deleted record. Retention pruning keeps the chain verifiable.`;

export async function auditCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    process.stdout.write(`${AUDIT_HELP}\n`);
    return sub ? 0 : 2;
  }
  if (sub !== 'query' && sub !== 'verify') throw new UsageError(`unknown subcommand "${sub}"`, 'audit');
  const { values } = parseCommandLine({
    args: rest,
    strict: true,
    options: {
      ...SERVER_STORE_OPTIONS,
      since: { type: 'string' },
      until: { type: 'string' },
      identity: { type: 'string' },
      type: { type: 'string' },
      limit: { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${AUDIT_HELP}\n`);
    return 0;
  }
  const { config, store: resolved } = serverStoreFromFlags(values, 'audit');
  const dataDir = resolved.target.kind === 'postgres' ? (values['data-dir'] ?? config?.dataDir ?? '.') : dataDirOf(values['data-dir'], config?.dataDir);
  const store = await openAuditReader(resolved, dataDir);
  try {
    if (sub === 'verify') {
      const report = await store.verify();
      if (report.ok) {
        process.stdout.write(`audit chain intact: ${report.checked} records ${report.describe}\n`);
        return 0;
      }
      const p = report.problem!;
      process.stdout.write(`audit chain BROKEN at record ${p.seq}: ${p.kind} (${p.detail}); ${report.checked} records before it are intact\n`);
      return 1;
    }
    const now = Date.now();
    const since = values.since === undefined ? undefined : parseSince(values.since, now, parseDuration);
    if (values.since !== undefined && since === undefined) throw new UsageError(`--since expects a duration like 1h or an ISO time, got "${values.since}"`, 'audit');
    const until = values.until === undefined ? undefined : parseSince(values.until, now, parseDuration);
    if (values.until !== undefined && until === undefined) throw new UsageError(`--until expects a duration like 1h or an ISO time, got "${values.until}"`, 'audit');
    const type = values.type;
    if (type !== undefined && !AUDIT_EVENT_TYPES.some((t) => t === type || t.startsWith(`${type}.`))) {
      throw new UsageError(`--type must be one of ${AUDIT_EVENT_TYPES.join(', ')} (or a family like tunnel)`, 'audit');
    }
    const limit = values.limit === undefined ? 1000 : Number(values.limit);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1_000_000) throw new UsageError('--limit must be an integer from 1 to 1000000', 'audit');
    const format = values.format ?? 'table';
    if (format !== 'table' && format !== 'json') throw new UsageError('--format must be table or json', 'audit');
    const rows = await store.query({
      ...(since !== undefined ? { sinceMs: since } : {}),
      ...(until !== undefined ? { untilMs: until } : {}),
      ...(type !== undefined ? { type } : {}),
      ...(values.identity !== undefined ? { identity: values.identity } : {}),
      limit,
    });
    process.stdout.write(format === 'json' ? formatJsonLines(rows) : formatTable(rows));
    return 0;
  } finally {
    await store.close();
  }
}

function dataDirOf(dataDir: string | undefined, fromConfig: string | undefined): string {
  const dir = dataDir ?? fromConfig;
  if (!dir) throw new UsageError('--data-dir, --config or --store is required', 'audit');
  return dir;
}
