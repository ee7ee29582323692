import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { JsonLinesSink } from '../../../src/audit/audit-log.js';
import type { AuditRecord } from '../../../src/audit/events.js';

const dir = mkdtempSync(join(tmpdir(), 'causeway-jsonl-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const record = (n: number): AuditRecord =>
  ({ time: new Date(0).toISOString(), emitter: 'server', type: 'config.reloaded', subject: 'acl', n }) as unknown as AuditRecord;
const lines = (file: string): number[] =>
  readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { n: number }).n);

describe('JsonLinesSink file rotation', () => {
  test('after the file is moved away, SIGHUP makes later records go to a new file; none is lost', async () => {
    const file = join(dir, 'audit.jsonl');
    const sink = new JsonLinesSink(file);
    sink.write(record(1));
    renameSync(file, `${file}.1`);
    sink.write(record(2)); // still the old descriptor: lands in the moved file
    process.emit('SIGHUP', 'SIGHUP');
    sink.write(record(3));
    await sink.close();
    assert.deepEqual(lines(`${file}.1`), [1, 2]);
    assert.deepEqual(lines(file), [3]);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test('a file that cannot be reopened keeps the old descriptor and warns', async () => {
    const sub = mkdtempSync(join(dir, 'gone-'));
    const file = join(sub, 'audit.jsonl');
    const sink = new JsonLinesSink(file);
    renameSync(file, join(dir, 'moved.jsonl'));
    rmSync(sub, { recursive: true });
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    sink.reopen();
    sink.write(record(4));
    await sink.close();
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    assert.deepEqual(lines(join(dir, 'moved.jsonl')), [4]);
    assert.ok(warnings.some((w) => w.includes('could not be reopened')), warnings.join('; '));
  });

  test('close stops listening for SIGHUP', async () => {
    const before = process.listenerCount('SIGHUP');
    const sink = new JsonLinesSink(join(dir, 'c.jsonl'));
    assert.equal(process.listenerCount('SIGHUP'), before + 1);
    await sink.close();
    assert.equal(process.listenerCount('SIGHUP'), before);
  });
});
