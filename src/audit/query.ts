import type { AuditRecord } from './events.js';
import type { StoredRecord } from './audit-store.js';
import { escapeForTerminal } from './terminal-escape.js';

const MAX_CELL_CHARS = 120;
/** Shown in their own columns; everything else goes into `details` as key=value. */
const COLUMNS = ['seq', 'time', 'type', 'who', 'target', 'outcome', 'details'] as const;
const OWN_FIELDS = new Set(['time', 'type', 'emitter', 'identity', 'client', 'agent', 'target', 'decision', 'result', 'layer']);

/** `--since` as a duration back from now (`1h`, `30m`, `7d`) or an ISO timestamp; undefined if neither. */
export function parseSince(text: string, now: number, parseDuration: (s: string) => number | undefined): number | undefined {
  const ms = parseDuration(text);
  if (ms !== undefined) return now - ms;
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(text);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

/** One JSON object per line (JSON escapes every control character). */
export function formatJsonLines(rows: readonly StoredRecord[]): string {
  return rows.map((r) => JSON.stringify({ seq: r.seq, ...(r.chain !== undefined ? { chain: r.chain } : {}), ...r.record })).join('\n') + (rows.length ? '\n' : '');
}

/** An aligned text table; every cell is escaped for the terminal and cut to a bounded width. */
export function formatTable(rows: readonly StoredRecord[]): string {
  const cells = rows.map((r) => rowCells(r).map(cell));
  const header = [...COLUMNS] as string[];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: string[]): string => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...cells.map(line)].join('\n') + '\n';
}

function rowCells({ seq, record }: StoredRecord): string[] {
  const r = record as AuditRecord & Record<string, unknown>;
  const who = 'client' in r && 'agent' in r ? `${String(r['client'])} -> ${String(r['agent'])}` : String(r['identity'] ?? '');
  const outcome = r.type === 'deny' ? `deny (${String(r['layer'])})` : String(r['result'] ?? (r.type === 'tunnel.opened' ? 'ok' : ''));
  const details = Object.entries(r)
    .filter(([k]) => !OWN_FIELDS.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return [String(seq), r.time, r.type, who, String(r['target'] ?? ''), outcome, details];
}

function cell(value: string): string {
  const safe = escapeForTerminal(value);
  return safe.length > MAX_CELL_CHARS ? `${safe.slice(0, MAX_CELL_CHARS - 1)}…` : safe;
}
