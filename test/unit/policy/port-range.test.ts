import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPortRange, mergePortRanges, parsePortSpec, portInRanges } from '../../../src/policy/port-range.js';
import type { PortSpec } from '../../../src/policy/port-range.js';

describe('parsePortSpec', () => {
  const rows: ReadonlyArray<readonly [PortSpec, string | undefined]> = [
    [443, '443'],
    ['22', '22'],
    ['8000-8100', '8000-8100'],
    ['1-65535', '1-65535'],
    ['80-80', '80'],
    [{ first: 10, last: 20 }, '10-20'],
    [0, undefined],
    [65536, undefined],
    [44.3, undefined],
    ['http', undefined],
    ['9000-8000', undefined],
    ['0-10', undefined],
    ['10-', undefined],
    [' 80', undefined],
    ['-80', undefined],
    [{ first: 20, last: 10 }, undefined],
  ];
  for (const [spec, expected] of rows) {
    it(`${JSON.stringify(spec)} -> ${String(expected)}`, () => {
      const range = parsePortSpec(spec);
      assert.equal(range === undefined ? undefined : formatPortRange(range), expected);
    });
  }
});

describe('mergePortRanges / portInRanges', () => {
  it('sorts and merges overlapping and adjacent ranges', () => {
    assert.deepEqual(
      mergePortRanges([{ first: 443, last: 443 }, { first: 22, last: 22 }, { first: 8000, last: 8100 }, { first: 8101, last: 8200 }, { first: 8050, last: 8060 }, { first: 23, last: 23 }]),
      [{ first: 22, last: 23 }, { first: 443, last: 443 }, { first: 8000, last: 8200 }],
    );
  });
  it('finds ports at the edges of ranges only', () => {
    const ranges = [{ first: 8000, last: 8100 }];
    assert.deepEqual([7999, 8000, 8100, 8101].map((p) => portInRanges(ranges, p)), [false, true, true, false]);
  });
});
