import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalCidr, sourceAllowed } from '../../../src/registry/source-cidr.js';

describe('canonicalCidr', () => {
  const cases: [string, string | undefined][] = [
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.0.2.7', '192.0.2.7/32'],
    ['2001:DB8::1/32', '2001:db8::/32'],
    ['::1', '::1/128'],
    ['10.0.0.0/33', undefined],
    ['example.com', undefined],
    ['', undefined],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${String(expected)}`, () => assert.equal(canonicalCidr(input), expected));
  }
});

describe('sourceAllowed', () => {
  const cases: [string | undefined, string[], boolean][] = [
    ['203.0.113.9', [], true],
    ['127.0.0.1', ['127.0.0.0/8'], true],
    ['::ffff:127.0.0.1', ['127.0.0.0/8'], true],
    ['10.0.0.1', ['127.0.0.0/8'], false],
    ['::1', ['127.0.0.0/8'], false],
    ['::1', ['::1/128'], true],
    [undefined, ['127.0.0.0/8'], false],
    ['garbage', ['127.0.0.0/8'], false],
  ];
  for (const [address, cidrs, expected] of cases) {
    it(`${String(address)} in [${cidrs.join(', ')}] is ${expected}`, () => assert.equal(sourceAllowed(address, cidrs), expected));
  }
});
