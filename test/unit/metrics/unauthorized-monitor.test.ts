import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { AuditRecord } from '../../../src/audit/events.js';
import { UnauthorizedMonitor } from '../../../src/metrics/unauthorized-monitor.js';

function setup(threshold = 3, windowMs = 60_000, maxKeys?: number) {
  let now = 1_000_000;
  const warnings: Record<string, unknown>[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line) as Record<string, unknown>) });
  const monitor = new UnauthorizedMonitor(log, { threshold, windowMs, now: () => now, ...(maxKeys ? { maxKeys } : {}) });
  return { monitor, warnings, advance: (ms: number) => (now += ms) };
}

const rejected = (source: string): AuditRecord =>
  ({ time: '', emitter: 'server', type: 'token.rejected', code: 'ERR_JWT_EXPIRED', reason: 'x', source }) as AuditRecord;
const denied = (identity: string, layer = 'identity'): AuditRecord =>
  ({ time: '', emitter: 'server', type: 'deny', layer, identity, reason: 'x', source: '10.0.0.9:5555' }) as AuditRecord;

describe('UnauthorizedMonitor', () => {
  it('warns once when one source passes the threshold within the window', () => {
    const { monitor, warnings } = setup(3);
    const results = [1, 2, 3, 4, 5, 6].map((p) => monitor.observe(rejected(`10.0.0.1:${p}`)));
    assert.deepEqual(results, [false, false, false, true, false, false]);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!['who'], 'source 10.0.0.1');
  });

  it('warns again in a later window, not within the same one', () => {
    const { monitor, advance } = setup(1, 1000);
    assert.deepEqual([monitor.observe(denied('a@x')), monitor.observe(denied('a@x'))], [false, true]);
    advance(500);
    assert.equal(monitor.observe(denied('a@x')), false);
    advance(600);
    assert.deepEqual([monitor.observe(denied('a@x')), monitor.observe(denied('a@x'))], [false, true]);
  });

  it('counts identities separately, and unknown identities by source host', () => {
    const { monitor } = setup(1);
    assert.deepEqual([monitor.observe(denied('a@x')), monitor.observe(denied('b@x'))], [false, false]);
    assert.deepEqual([monitor.observe(denied('unknown', 'authn')), monitor.observe(denied('unknown', 'authn'))], [false, true]);
  });

  it('ignores records that are not refusals', () => {
    const { monitor } = setup(0);
    assert.equal(monitor.observe(denied('a@x', 'acl')), false);
    assert.equal(monitor.observe({ time: '', emitter: 'server', type: 'config.reloaded', file: 'f', result: 'applied' } as AuditRecord), false);
  });

  it('tracks a bounded number of keys', () => {
    const { monitor } = setup(1, 60_000, 2);
    monitor.observe(denied('a@x'));
    monitor.observe(denied('b@x'));
    monitor.observe(denied('c@x')); // evicts a@x
    assert.equal(monitor.observe(denied('a@x')), false, 'a@x starts over after eviction');
    assert.equal(monitor.observe(denied('c@x')), true);
  });
});
