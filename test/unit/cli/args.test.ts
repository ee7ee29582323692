import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandLine } from '../../../src/cli/args.js';

const options = {
  out: { type: 'string' },
  name: { type: 'string', default: 'x' },
  allow: { type: 'string', multiple: true },
  once: { type: 'boolean' },
} as const;

const parse = (args: string[]) => parseCommandLine({ args, options, strict: true });

describe('parseCommandLine', () => {
  it('parses like parseArgs', () => {
    const { values } = parse(['--out', 'a', '--allow', 'h:1', '--allow=h:2', '--once']);
    assert.deepEqual({ ...values }, { out: 'a', name: 'x', allow: ['h:1', 'h:2'], once: true });
  });
  it('lets a boolean repeat (it means the same)', () => {
    assert.equal(parse(['--once', '--once']).values.once, true);
  });

  const refused: ReadonlyArray<readonly [string, string[], RegExp]> = [
    ['a repeated --out', ['--out', './a', '--out', './b'], /^Option '--out' given 2 times \("\.\/a", "\.\/b"\); it takes one value$/],
    ['a repeated --out with =', ['--out=./a', '--out=./a'], /'--out' given 2 times \("\.\/a", "\.\/a"\)/],
    ['a repeated option that has a default', ['--name', 'a', '--name', 'b', '--name', 'c'], /'--name' given 3 times/],
  ];
  for (const [what, args, message] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parse(args), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ERR_PARSE_ARGS_REPEATED_OPTION');
        assert.match(err.message, message);
        return true;
      });
    });
  }
  it("still raises parseArgs' own errors", () => {
    assert.throws(() => parse(['--bogus']), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
    assert.throws(() => parse(['--out']), { code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' });
  });
});
