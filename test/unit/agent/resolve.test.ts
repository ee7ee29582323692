import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { NameResolver, ResolveError } from '../../../src/agent/resolve.js';
import { TestDnsServer } from '../../support/dns-server.js';

describe('NameResolver with dns.servers (a real UDP DNS server on loopback)', () => {
  let dns: TestDnsServer;
  let resolver: NameResolver;

  before(async () => {
    dns = await TestDnsServer.start({
      'both.corp.test': { A: () => ['10.0.0.1', '10.0.0.2'], AAAA: () => ['fd00::1'] },
      'v6only.corp.test': { AAAA: () => ['fd00::2'] },
      'empty.corp.test': {},
      'changing.corp.test': { A: (n) => [n === 1 ? '10.0.0.1' : '127.0.0.1'] },
    });
    resolver = new NameResolver({ hosts: { 'pinned.corp.test': '10.9.9.9' }, servers: [dns.address], timeoutMs: 5_000 });
  });

  after(() => dns.close());

  it('returns every A and AAAA address, in answer order', async () => {
    assert.deepEqual(await resolver.resolve('both.corp.test'), ['10.0.0.1', '10.0.0.2', 'fd00::1']);
  });

  it('returns AAAA answers when there is no A record', async () => {
    assert.deepEqual(await resolver.resolve('v6only.corp.test'), ['fd00::2']);
  });

  it('asks once per resolution, and sees a changed answer on the next one (TTL 0, no cache)', async () => {
    assert.deepEqual(await resolver.resolve('changing.corp.test'), ['10.0.0.1']);
    assert.equal(dns.count('changing.corp.test', 'A'), 1);
    assert.deepEqual(await resolver.resolve('changing.corp.test'), ['127.0.0.1']);
    assert.equal(dns.count('changing.corp.test', 'A'), 2);
  });

  it('answers pinned names from dns.hosts without asking', async () => {
    const before = dns.queries.length;
    assert.deepEqual(await resolver.resolve('pinned.corp.test'), ['10.9.9.9']);
    assert.equal(dns.queries.length, before);
  });

  const failures: ReadonlyArray<readonly [string, string, string]> = [
    ['an unknown name (NXDOMAIN)', 'nowhere.corp.test', 'ERR_RESOLVE_NO_ADDRESSES'],
    ['a name with no records', 'empty.corp.test', 'ERR_RESOLVE_NO_ADDRESSES'],
  ];
  for (const [name, host, code] of failures) {
    it(`fails with ${code} for ${name}`, async () => {
      await assert.rejects(resolver.resolve(host), (err: unknown) => err instanceof ResolveError && err.code === code);
    });
  }

  it('gives up after its timeout when the server never answers', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const mute = new NameResolver({ hosts: {}, servers: [`127.0.0.1:${(silent.address() as AddressInfo).port}`], timeoutMs: 300 });
      const started = Date.now();
      await assert.rejects(mute.resolve('both.corp.test'), (err: unknown) => err instanceof ResolveError && (err.code === 'ERR_RESOLVE_TIMEOUT' || err.code === 'ERR_RESOLVE_FAILED'));
      assert.ok(Date.now() - started < 5_000, 'resolution is bounded');
    } finally {
      silent.close();
    }
  });
});
