import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryReplayCache } from '../../../src/auth/replay-cache.js';

const T0 = new Date('2030-01-01T00:00:00Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

describe('MemoryReplayCache', () => {
  it('accepts a jti once until it expires', () => {
    const cache = new MemoryReplayCache();
    assert.equal(cache.claim('a', at(60), at(0)), true);
    assert.equal(cache.claim('a', at(60), at(30)), false);
    assert.equal(cache.claim('b', at(60), at(30)), true);
    assert.equal(cache.claim('a', at(120), at(61)), true);
  });

  it('prunes expired entries as new ones arrive', () => {
    const cache = new MemoryReplayCache();
    cache.claim('a', at(10), at(0));
    cache.claim('b', at(20), at(0));
    cache.claim('c', at(100), at(0));
    cache.claim('d', at(100), at(21));
    assert.equal(cache.size, 2);
  });

  it('refuses new ids when full of live ones rather than forgetting any', () => {
    const cache = new MemoryReplayCache(2);
    assert.equal(cache.claim('a', at(60), at(0)), true);
    assert.equal(cache.claim('b', at(30), at(0)), true);
    assert.equal(cache.claim('c', at(60), at(1)), false);
    assert.equal(cache.claim('a', at(60), at(1)), false);
    assert.equal(cache.claim('b', at(30), at(1)), false);
    assert.equal(cache.claim('c', at(90), at(31)), true);
    assert.equal(cache.claim('a', at(90), at(31)), false);
  });

  it('frees space held by out-of-order expiries', () => {
    const cache = new MemoryReplayCache(2);
    cache.claim('long', at(600), at(0));
    cache.claim('short', at(10), at(0));
    assert.equal(cache.claim('next', at(100), at(11)), true);
    assert.equal(cache.claim('later', at(100), at(12)), false);
  });

  it('rejects a non-positive capacity', () => {
    assert.throws(() => new MemoryReplayCache(0), RangeError);
  });
});
