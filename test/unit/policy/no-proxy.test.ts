import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bypassesProxy, parseNoProxyEntry, parseNoProxyList } from '../../../src/policy/no-proxy.js';

function compile(value: string) {
  const parsed = parseNoProxyList([value]);
  assert.ok(parsed.ok, `NO_PROXY=${value} should parse`);
  return parsed.entries;
}

describe('NO_PROXY matching', () => {
  const cases: { noProxy: string; host: string; port: number; bypass: boolean }[] = [
    { noProxy: '', host: 'tunnel.example.com', port: 8443, bypass: false },
    { noProxy: '*', host: 'tunnel.example.com', port: 8443, bypass: true },
    { noProxy: '*', host: '10.1.2.3', port: 1, bypass: true },
    // Names cover themselves and every name below them, however the entry is written.
    { noProxy: 'example.com', host: 'example.com', port: 8443, bypass: true },
    { noProxy: 'example.com', host: 'tunnel.example.com', port: 8443, bypass: true },
    { noProxy: 'example.com', host: 'a.b.example.com', port: 8443, bypass: true },
    { noProxy: 'example.com', host: 'badexample.com', port: 8443, bypass: false },
    { noProxy: 'example.com', host: 'example.com.evil.net', port: 8443, bypass: false },
    { noProxy: '.example.com', host: 'example.com', port: 8443, bypass: true },
    { noProxy: '.example.com', host: 'tunnel.example.com', port: 8443, bypass: true },
    { noProxy: '*.example.com', host: 'tunnel.example.com', port: 8443, bypass: true },
    { noProxy: '*.example.com', host: 'notexample.com', port: 8443, bypass: false },
    // Case, trailing dots and whitespace do not matter.
    { noProxy: ' Example.COM. ', host: 'TUNNEL.example.com.', port: 8443, bypass: true },
    // Several entries, comma or space separated, empty ones skipped.
    { noProxy: 'localhost,,internal.net  example.com', host: 'tunnel.example.com', port: 8443, bypass: true },
    { noProxy: 'localhost,internal.net', host: 'tunnel.example.com', port: 8443, bypass: false },
    // Ports.
    { noProxy: 'example.com:8443', host: 'tunnel.example.com', port: 8443, bypass: true },
    { noProxy: 'example.com:8443', host: 'tunnel.example.com', port: 443, bypass: false },
    // IP literals, in any notation on either side; never matched by a name entry.
    { noProxy: '10.1.2.3', host: '10.1.2.3', port: 8443, bypass: true },
    { noProxy: '10.1.2.3', host: '10.1.2.4', port: 8443, bypass: false },
    { noProxy: '127.0.0.1', host: '127.1', port: 8443, bypass: true },
    { noProxy: '10.1.2.3:8443', host: '10.1.2.3', port: 9443, bypass: false },
    { noProxy: '::1', host: '::1', port: 8443, bypass: true },
    { noProxy: '[::1]:8443', host: '::1', port: 8443, bypass: true },
    { noProxy: '[::1]:8443', host: '::1', port: 443, bypass: false },
    { noProxy: '2001:db8::1', host: '2001:db8:0:0::1', port: 8443, bypass: true },
    { noProxy: 'example.com', host: '10.1.2.3', port: 8443, bypass: false },
    // Networks hold IP literals only.
    { noProxy: '10.0.0.0/8', host: '10.200.3.4', port: 8443, bypass: true },
    { noProxy: '10.0.0.0/8', host: '11.0.0.1', port: 8443, bypass: false },
    { noProxy: '10.0.0.0/8', host: 'ten.example.com', port: 8443, bypass: false },
    { noProxy: 'fd00::/8', host: 'fd12::1', port: 8443, bypass: true },
    { noProxy: 'fd00::/8', host: '10.0.0.1', port: 8443, bypass: false },
    { noProxy: '10.0.0.0/8:8443', host: '10.0.0.1', port: 443, bypass: false },
    // A host that is no host at all never bypasses.
    { noProxy: 'example.com', host: 'bad host', port: 8443, bypass: false },
  ];
  for (const { noProxy, host, port, bypass } of cases) {
    it(`NO_PROXY=${JSON.stringify(noProxy)} ${bypass ? 'bypasses' : 'proxies'} ${host}:${port}`, () => {
      assert.equal(bypassesProxy(compile(noProxy), host, port), bypass);
    });
  }
});

describe('NO_PROXY entries that are refused', () => {
  const refused: { entry: string; problem: RegExp }[] = [
    { entry: '', problem: /is empty/ },
    { entry: 'x'.repeat(300), problem: /longer than/ },
    { entry: 'exa mple.com', problem: /not a host name/ },
    { entry: 'example.com:', problem: /port that is not a number/ },
    { entry: 'example.com:0', problem: /port that is not a number/ },
    { entry: 'example.com:65536', problem: /port that is not a number/ },
    { entry: 'example.com:http', problem: /port that is not a number/ },
    { entry: '[::1]:x', problem: /port that is not a number/ },
    { entry: '10.0.0.0/33', problem: /not a network/ },
    { entry: 'example.com/8', problem: /not a network/ },
    { entry: '*.10.0.0.1', problem: /not a host name|wildcard/ },
    { entry: '.10.0.0.1', problem: /wildcard in front of an IP/ },
    { entry: 'exa%mple.com', problem: /not a host name/ },
    { entry: 'user@example.com', problem: /not a host name/ },
    { entry: 'fe80::1%eth0', problem: /not a host name/ },
  ];
  for (const { entry, problem } of refused) {
    it(`refuses ${JSON.stringify(entry.slice(0, 40))}`, () => {
      const parsed = parseNoProxyEntry(entry);
      assert.equal(parsed.ok, false);
      assert.match((parsed as { problem: string }).problem, problem);
    });
  }

  it('reports the first bad entry of a list', () => {
    const parsed = parseNoProxyList(['localhost,exa%mple.com,example.com:x']);
    assert.deepEqual(parsed, { ok: false, problem: 'NO_PROXY entry "exa%mple.com" is not a host name, IP address or network' });
  });
});
