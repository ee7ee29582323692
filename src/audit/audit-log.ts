import diagnostics_channel from 'node:diagnostics_channel';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { AuditEvent, AuditRecord } from './events.js';

/** Every stamped record is published here, so metrics and the dashboard follow without the emitters knowing them. */
export const AUDIT_CHANNEL = 'causeway:audit';
export const auditChannel = diagnostics_channel.channel(AUDIT_CHANNEL);

/** Longest string value kept in a record; longer values from the wire are cut and marked. */
export const MAX_VALUE_CHARS = 1024;
/** Bytes a JSON-lines sink may hold unwritten before it drops records (and counts them). */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/** A destination for audit records. */
export interface AuditSink {
  write(record: AuditRecord): void;
  close(): Promise<void>;
}

/**
 * JSON lines, one record per line. JSON.stringify escapes every control character, so a value from the
 * wire (a hostname with a newline or an ESC sequence) cannot break a record or a terminal. A file is
 * appended synchronously, so a record is on disk before the caller hears the decision; stdout is
 * bounded: a stalled reader makes it drop records (counted) rather than grow without limit.
 */
export class JsonLinesSink implements AuditSink {
  private fd: number | undefined;
  dropped = 0;
  private closed = false;
  private readonly onHangup = (): void => this.reopen();

  /**
   * A file sink reopens its file on SIGHUP (and on {@link reopen}), so logrotate can move the file away
   * and signal the program (`postrotate kill -HUP`): records go to the new file, none is lost between.
   */
  constructor(private readonly file: string | 'stdout') {
    if (file === 'stdout') return;
    this.fd = openSync(file, 'a', 0o600);
    process.on('SIGHUP', this.onHangup);
  }

  /** Opens the file again by name, then closes the old descriptor; a failure keeps writing to the old one. */
  reopen(): void {
    if (this.fd === undefined || this.file === 'stdout') return;
    let next: number;
    try {
      next = openSync(this.file, 'a', 0o600);
    } catch (err) {
      process.emitWarning(`audit file ${this.file} could not be reopened, still writing to the old one: ${(err as Error).message}`);
      return;
    }
    const old = this.fd;
    this.fd = next;
    closeSync(old);
  }

  write(record: AuditRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    if (this.fd !== undefined) {
      writeSync(this.fd, line);
      return;
    }
    if (this.closed) return;
    if (process.stdout.writableLength > MAX_PENDING_BYTES) {
      this.dropped++;
      return;
    }
    process.stdout.write(line);
  }

  close(): Promise<void> {
    process.off('SIGHUP', this.onHangup);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.closed = true;
    return Promise.resolve();
  }
}

/** Stamps and fans out audit events to every sink. */
export class AuditLog {
  constructor(
    private readonly sinks: AuditSink[],
    private readonly source: string,
  ) {}

  record(event: AuditEvent, now = new Date()): void {
    const stamped = { time: now.toISOString(), emitter: this.source, ...bounded(event) } as AuditRecord;
    const record = (event.type === 'deny' ? { ...stamped, decision: 'deny' } : stamped) as AuditRecord;
    for (const sink of this.sinks) {
      try {
        sink.write(record);
      } catch (err) {
        // A failing sink must not take the others (or the tunnel that emitted the event) down with it.
        process.emitWarning(`audit sink failed: ${(err as Error).message}`);
      }
    }
    if (auditChannel.hasSubscribers) auditChannel.publish(record);
  }

  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close()));
  }
}

function bounded(event: AuditEvent): AuditEvent {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    out[key] = typeof value === 'string' && value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS)}…[truncated]` : value;
  }
  return out as AuditEvent;
}
