import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSince, formatTable, formatJsonLines } from '../../../src/audit/query.js';
import { escapeForTerminal } from '../../../src/audit/terminal-escape.js';
import { parseDuration } from '../../../src/config/duration.js';
import type { AuditRecord } from '../../../src/audit/events.js';

describe('escapeForTerminal', () => {
  const rows: ReadonlyArray<readonly [string, string, string]> = [
    ['plain text unchanged', 'git.corp:443', 'git.corp:443'],
    ['newline', 'a\nb', 'a\\nb'],
    ['carriage return', 'a\rb', 'a\\rb'],
    ['tab', 'a\tb', 'a\\tb'],
    ['ESC colour sequence', 'x\u001b[31mred', 'x\\x1b[31mred'],
    ['NUL', 'a\u0000b', 'a\\x00b'],
    ['DEL', 'a\u007fb', 'a\\x7fb'],
    ['C1 CSI', 'a\u009bb', 'a\\x9bb'],
    ['right-to-left override', 'a\u202eb', 'a\\u202eb'],
    ['zero-width space', 'a\u200bb', 'a\\u200bb'],
    ['non-ASCII letters kept', 'gît.corp', 'gît.corp'],
  ];
  for (const [name, input, expected] of rows) it(name, () => assert.equal(escapeForTerminal(input), expected));
});

describe('audit query formats', () => {
  const record = {
    time: '2026-06-30T12:00:00.000Z',
    emitter: 'server',
    type: 'deny',
    decision: 'deny',
    layer: 'request',
    identity: 'evil\u001b]0;owned\u0007@c.test',
    target: 'git.corp\n{"decision":"allow"}:443',
    reason: 'bad',
  } as unknown as AuditRecord;

  it('table: one line per record, no raw control characters', () => {
    const text = formatTable([{ seq: 1, record }]);
    assert.equal(text.trimEnd().split('\n').length, 2);
    assert.doesNotMatch(text.replace(/\n/g, ''), /[\u0000-\u001f\u007f-\u009f]/);
    assert.match(text, /git\.corp\\n\{"decision":"allow"\}:443/);
    assert.match(text, /deny \(request\)/);
  });

  it('json: one parseable line per record that round-trips the value', () => {
    const text = formatJsonLines([{ seq: 1, record }]);
    assert.equal(text.split('\n').filter(Boolean).length, 1);
    const parsed = JSON.parse(text) as Record<string, unknown>;
    assert.equal(parsed['target'], 'git.corp\n{"decision":"allow"}:443');
    assert.equal(parsed['decision'], 'deny');
  });
});

describe('parseSince', () => {
  const now = Date.parse('2026-06-30T12:00:00Z');
  const rows: ReadonlyArray<readonly [string, number | undefined]> = [
    ['1h', now - 3600_000],
    ['30m', now - 1800_000],
    ['7d', now - 7 * 86_400_000],
    ['2026-06-30T11:00:00Z', now - 3600_000],
    ['yesterday', undefined],
    ['2026-13-45', undefined],
    ['-1h', undefined],
  ];
  for (const [input, expected] of rows) it(input, () => assert.equal(parseSince(input, now, parseDuration), expected));
});
