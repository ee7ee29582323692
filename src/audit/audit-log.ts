import { createWriteStream, type WriteStream } from 'node:fs';
import type { AuditEvent } from './events.js';

/** A destination for audit records. */
export interface AuditSink {
  write(record: Readonly<Record<string, unknown>>): void;
  close(): Promise<void>;
}

/**
 * JSON lines, one record per line. JSON.stringify escapes every control character, so a value from the
 * wire (a hostname with a newline or an ESC sequence) cannot break a record or a terminal.
 */
export class JsonLinesSink implements AuditSink {
  private readonly out: WriteStream | NodeJS.WriteStream;

  constructor(file: string | 'stdout') {
    this.out = file === 'stdout' ? process.stdout : createWriteStream(file, { flags: 'a', mode: 0o600 });
  }

  write(record: Readonly<Record<string, unknown>>): void {
    this.out.write(`${JSON.stringify(record)}\n`);
  }

  close(): Promise<void> {
    if (this.out === process.stdout) return Promise.resolve();
    return new Promise((resolve) => (this.out as WriteStream).end(resolve));
  }
}

/** Stamps and fans out audit events to every sink. */
export class AuditLog {
  constructor(
    private readonly sinks: AuditSink[],
    private readonly source: string,
  ) {}

  record(event: AuditEvent, now = new Date()): void {
    const record = { time: now.toISOString(), emitter: this.source, ...event };
    for (const sink of this.sinks) sink.write(record);
  }

  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close()));
  }
}
