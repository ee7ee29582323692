import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ThroughputSeries } from '../../../src/metrics/throughput-series.js';

describe('ThroughputSeries', () => {
  it('turns a running byte total into a rate per interval and keeps a bounded window', () => {
    let bytesTotal = 0;
    let tunnels = 0;
    const series = new ThroughputSeries(() => ({ bytesTotal, tunnels }), 5000, 15_000);
    series.sample(0);
    bytesTotal = 50_000;
    tunnels = 2;
    series.sample(5000);
    bytesTotal = 50_000;
    tunnels = 1;
    series.sample(10_000);
    bytesTotal = 40_000; // a total that went down (a restart) never gives a negative rate
    series.sample(15_000);
    assert.deepEqual(series.list(), [
      { t: 5000, bytesPerSecond: 10_000, tunnels: 2 },
      { t: 10_000, bytesPerSecond: 0, tunnels: 1 },
      { t: 15_000, bytesPerSecond: 0, tunnels: 1 },
    ]);
  });
});
