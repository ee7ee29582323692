import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationSchema, formatDuration, parseDuration } from '../../../src/config/duration.js';

describe('parseDuration', () => {
  const rows: ReadonlyArray<readonly [string | number, number | undefined]> = [
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    ['0s', 0],
    [1500, 1500],
    ['1500', 1500],
    [0, 0],
    // refused
    ['', undefined],
    ['10', 10],
    ['10 s', undefined],
    ['-5s', undefined],
    ['5S', undefined],
    ['5w', undefined],
    ['s', undefined],
    ['1.5', undefined],
    [-1, undefined],
    [1.5, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    ['999999999999999999d', undefined],
  ];
  for (const [input, expected] of rows) {
    it(`${JSON.stringify(input)} -> ${String(expected)}`, () => assert.equal(parseDuration(input), expected));
  }
});

describe('formatDuration', () => {
  for (const [ms, text] of [[604_800_000, '7d'], [3_600_000, '1h'], [90_000, '90s'], [5_000, '5s'], [1_500, '1500ms'], [0, '0ms']] as const) {
    it(`${ms} -> ${text}`, () => assert.equal(formatDuration(ms), text));
  }
});

describe('durationSchema', () => {
  const schema = durationSchema({ min: 5_000, max: 60_000 });
  it('gives milliseconds', () => assert.equal(schema.parse('30s'), 30_000));
  it('refuses a value below min', () => {
    const result = schema.safeParse('1s');
    assert.equal(result.success, false);
    assert.equal(result.error?.issues[0]?.message, 'expected a duration from 5s to 1m, got "1s"');
  });
  it('says "at least" when there is no max', () => {
    assert.equal(durationSchema({ min: 1 }).safeParse('0s').error?.issues[0]?.message, 'expected a duration of at least 1ms, got "0s"');
  });
  it('refuses a non-duration type', () => {
    assert.equal(schema.safeParse([]).error?.issues[0]?.message, 'expected a duration like "250ms", "30s", "5m", "24h" or "7d", got a list');
  });
});
