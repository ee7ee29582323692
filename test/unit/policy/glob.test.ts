import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globMatch } from '../../../src/policy/glob.js';

describe('globMatch', () => {
  const rows: ReadonlyArray<readonly [string, string, boolean]> = [
    ['ci@clients.acme.causeway', 'ci@clients.acme.causeway', true],
    ['ci@clients.acme.causeway', 'CI@clients.acme.causeway', false],
    ['ci@clients.acme.causeway', 'ci@clients.acme.causeway.evil', false],
    ['*@clients.acme.causeway', 'ci@clients.acme.causeway', true],
    ['*@clients.acme.causeway', 'a.b@clients.acme.causeway', true],
    ['*@clients.acme.causeway', '@clients.acme.causeway', true],
    ['*@clients.acme.causeway', 'ci@agents.acme.causeway', false],
    ['*@clients.acme.causeway', 'ci@clients.acme.causeway.evil', false],
    ['*@*.acme.causeway', 'ci@clients.acme.causeway', true],
    ['*@*.acme.causeway', 'ci@acme.causeway', false],
    ['ci-*@clients.acme.causeway', 'ci-42@clients.acme.causeway', true],
    ['ci-*@clients.acme.causeway', 'cd-42@clients.acme.causeway', false],
    ['*', 'anything@at.all', true],
    ['*', '', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'aXbY', false],
    ['a?c', 'abc', false],
    ['a.c', 'abc', false],
  ];
  for (const [pattern, text, expected] of rows) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(text)}`, () => assert.equal(globMatch(pattern, text), expected));
  }

  it('stays fast on patterns that make backtracking regexes explode', () => {
    const started = process.hrtime.bigint();
    assert.equal(globMatch(`${'*a'.repeat(20)}b`, 'a'.repeat(5000)), false);
    assert.ok(process.hrtime.bigint() - started < 1_000_000_000n);
  });
});
