import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkAndDial, type CheckedDial, type FailedDial } from '../../../src/agent/check-dial.js';
import { NameResolver } from '../../../src/agent/resolve.js';
import { compileAllowlist } from '../../../src/policy/allowlist.js';
import { normalizeHost } from '../../../src/policy/host.js';
import { DialResult } from '../../../src/protocol/frames.js';
import { TestDnsServer } from '../../support/dns-server.js';
import { listenerPair, type RecordingListener } from '../../support/recording-listener.js';

/**
 * The agent's last word, against real listeners and a real DNS server: whatever form the host comes in
 * (the server's canonical form is not trusted), only an address that passed the allowlist is dialled.
 */
describe('checkAndDial', () => {
  let allowedL: RecordingListener; // 127.0.0.2:P
  let loopbackL: RecordingListener; // 127.0.0.1:P
  let dns: TestDnsServer;
  let dial: (host: string, port?: number) => Promise<CheckedDial | FailedDial>;
  const ADMIN = 1; // stands for the agent's admin port

  before(async () => {
    [allowedL, loopbackL] = await listenerPair('127.0.0.2', '127.0.0.1');
    const rebind = [['127.0.0.2'], ['127.0.0.1']];
    dns = await TestDnsServer.start({
      'git.corp.test': { A: () => ['127.0.0.2'] },
      'xn--bcher-kva.corp.test': { A: () => ['127.0.0.2'] },
      'rebind.corp.test': { A: (n) => rebind[n - 1] ?? ['127.0.0.2'] },
      'mixed.corp.test': { A: () => ['127.0.0.2', '127.0.0.1'] },
      'meta.corp.test': { A: () => ['169.254.169.254'] },
      'mapped.corp.test': { AAAA: () => ['::ffff:127.0.0.1'] },
    });
    const allowlist = compileAllowlist([
      { host: '*.corp.test', ports: [allowedL.port, ADMIN] },
      { host: '127.0.0.2', ports: [allowedL.port] },
    ]);
    const resolver = new NameResolver({ hosts: {}, servers: [dns.address], timeoutMs: 5_000 });
    const self = { ports: [ADMIN], addresses: new Set<string>() };
    dial = (host, port = allowedL.port) => checkAndDial(host, port, { allowlist, self, resolver }, 5_000);
  });

  after(async () => {
    await Promise.all([allowedL.close(), loopbackL.close(), dns.close()]);
  });

  const allowedRows: ReadonlyArray<readonly [string, string]> = [
    ['a listed name', 'git.corp.test'],
    ['the name in upper case with a trailing dot', 'GIT.Corp.Test.'],
    ['the name in Unicode (IDN)', 'bücher.corp.test'],
    ['the listed IP', '127.0.0.2'],
    ['the listed IP in hex', '0x7f000002'],
    ['the listed IP in decimal', '2130706434'],
    ['the listed IP in octal', '0177.0.0.2'],
    ['the listed IP, IPv4-mapped', '[::ffff:7f00:2]'],
  ];
  for (const [name, host] of allowedRows) {
    it(`dials ${name} (${host}) at the checked address`, async () => {
      const before = allowedL.accepted.length;
      const outcome = await dial(host);
      assert.ok(outcome.ok, outcome.ok ? '' : outcome.reason);
      outcome.socket.destroy();
      assert.equal(outcome.address, '127.0.0.2');
      assert.equal(outcome.remoteAddress, `127.0.0.2:${allowedL.port}`);
      await waitFor(() => allowedL.accepted.length === before + 1);
      assert.equal(loopbackL.accepted.length, 0);
    });
  }

  it('resolves once: a rebinding answer on a later query only affects a later dial, which is refused', async () => {
    const first = await dial('rebind.corp.test');
    assert.ok(first.ok);
    first.socket.destroy();
    assert.equal(dns.count('rebind.corp.test', 'A'), 1);
    const second = await dial('rebind.corp.test');
    assert.equal(second.ok, false);
    assert.equal(dns.count('rebind.corp.test', 'A'), 2);
    assert.equal(loopbackL.accepted.length, 0);
  });

  const deniedRows: ReadonlyArray<readonly [string, string, number | undefined, RegExp]> = [
    ['a name resolving to loopback among allowed addresses', 'mixed.corp.test', undefined, /resolved to loopback address 127\.0\.0\.1/],
    ['a name resolving to cloud metadata', 'meta.corp.test', undefined, /cloud metadata address 169\.254\.169\.254/],
    ['a name resolving to IPv4-mapped loopback', 'mapped.corp.test', undefined, /loopback address 127\.0\.0\.1/],
    ['loopback as 127.1', '127.1', undefined, /127\.0\.0\.1 is not on the agent's allowlist/],
    ['loopback as 0x7f000001', '0x7f000001', undefined, /127\.0\.0\.1 is not on the agent's allowlist/],
    ['loopback as [::ffff:127.0.0.1]', '[::ffff:127.0.0.1]', undefined, /127\.0\.0\.1 is not on the agent's allowlist/],
    ['"0"', '0', undefined, /0\.0\.0\.0 is not on the agent's allowlist/],
    ['a zone id', 'fe80::1%lo', undefined, /zone ids are refused/],
    ['a name ending in a number', 'git.corp.123', undefined, /not a valid host/],
    ['a listed name on an unlisted port', 'git.corp.test', 22, /port 22 is not allowed for git\.corp\.test/],
    ['the agent\'s own admin port', 'git.corp.test', ADMIN, /the agent's own admin endpoint/],
  ];
  for (const [name, host, port, reason] of deniedRows) {
    it(`refuses ${name} without connecting, telling the caller no internals`, async () => {
      const outcome = await dial(host, port);
      assert.equal(outcome.ok, false);
      if (outcome.ok) return;
      assert.equal(outcome.result, DialResult.DENIED);
      assert.match(outcome.reason, reason);
      // The caller may see its own target again, but never a resolved address, a range or a rule.
      assert.doesNotMatch(outcome.message, /loopback|metadata|entry|admin/);
      if (normalizeHost(host).kind === 'name') assert.doesNotMatch(outcome.message, /\d+\.\d+\.\d+\.\d+/);
      assert.equal(loopbackL.accepted.length, 0);
    });
  }

  it('reports an unresolvable name as unreachable, not denied', async () => {
    const outcome = await dial('nowhere.corp.test');
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.result, DialResult.UNREACHABLE);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
