import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadAgentConfig } from '../../../src/config/agent.js';
import { loadClientConfig } from '../../../src/config/client.js';
import { loadServerConfig } from '../../../src/config/server.js';
import { tempDir } from './temp-dir.js';

const tmp = tempDir();

describe('server config', () => {
  it('reads the documented example', () => {
    const file = tmp.write(
      'server.yaml',
      `listen: 127.0.0.1:8443
admin: 127.0.0.1:0
dataDir: ./data
serverNames: [localhost, 127.0.0.1, Tunnel.Example.com.]
certLifetime: 24h
acl:
  - clients: [ci@clients.acme.causeway]
    agents: [acme-onprem@agents.acme.causeway]
    destinations: ["gitlab.internal.acme.net:443"]
  - clients: ["*@clients.acme.causeway"]
    agents: ["*"]
limits: { maxStreamsPerIdentity: 50, dialTimeout: 2s, maxPendingDials: 10 }
audit: { retention: 90d, jsonLinesFile: ./audit/out.jsonl, unauthorizedWarn: { threshold: 3 } }
`,
    );
    assert.deepEqual(loadServerConfig(file), {
      listen: { host: '127.0.0.1', port: 8443 },
      admin: { host: '127.0.0.1', port: 0 },
      dataDir: `${tmp.dir}/data`,
      serverNames: ['localhost', '127.0.0.1', 'tunnel.example.com'],
      certLifetime: 86_400_000,
      acl: [
        { clients: ['ci@clients.acme.causeway'], agents: ['acme-onprem@agents.acme.causeway'], destinations: ['gitlab.internal.acme.net:443'] },
        { clients: ['*@clients.acme.causeway'], agents: ['*'] },
      ],
      limits: {
        maxStreamsPerIdentity: 50,
        dialTimeout: 2_000,
        maxPendingDials: 10,
        drainTimeout: 30_000,
        keepaliveInterval: 10_000,
        keepaliveTimeout: 10_000,
      },
      replica: { count: 1 },
      audit: {
        store: 'sqlite',
        retention: 90 * 86_400_000,
        pruneInterval: 3_600_000,
        jsonLinesFile: `${tmp.dir}/audit/out.jsonl`,
        jsonLinesStdout: false,
        unauthorizedWarn: { threshold: 3, window: 60_000 },
      },
    });
  });

  const invalid: ReadonlyArray<readonly [string, string, string]> = [
    ['certLifetime too short', 'certLifetime: 1s', 'certLifetime: expected a duration from 5s to 30d, got "1s"'],
    ['empty serverNames', 'serverNames: []', 'serverNames: expected at least one name'],
    ['bad serverName', 'serverNames: ["bad name"]', 'serverNames[0]: expected a host name or IP address, got "bad name"'],
    ['acl rule without agents', 'acl: [{ clients: [a] }]', 'acl[0].agents: required'],
    ['acl rule with no clients', 'acl: [{ clients: [], agents: [b] }]', 'acl[0].clients: expected at least one client identity or pattern'],
    ['identity pattern with a space', 'acl: [{ clients: ["a b"], agents: [b] }]', 'acl[0].clients[0]: expected an identity or "*" pattern, like "ci@clients.acme.causeway" or "*@clients.acme.causeway", got "a b"'],
    ['bad destination', 'acl: [{ clients: [a], agents: [b], destinations: ["gitlab"] }]', 'acl[0].destinations[0]: expected a destination like "gitlab.internal.acme.net:443", "*.acme.net:443" or "host:*", got "gitlab"'],
    ['empty destinations', 'acl: [{ clients: [a], agents: [b], destinations: [] }]', 'acl[0].destinations: expected at least one destination; omit the key to allow any'],
    ['limit zero', 'limits: { maxPendingDials: 0 }', 'limits.maxPendingDials: expected an integer from 1 to 1000000, got 0'],
    ['limit fractional', 'limits: { maxStreamsPerIdentity: 1.5 }', 'limits.maxStreamsPerIdentity: expected an integer from 1 to 1000000, got 1.5'],
    ['unknown audit store', 'audit: { store: postgres }', 'audit.store: expected sqlite or none, got "postgres"'],
    ['audit retention too short', 'audit: { retention: 5m }', 'audit.retention: expected a duration from 1h to 3650d, got "5m"'],
    ['unauthorized threshold zero', 'audit: { unauthorizedWarn: { threshold: 0 } }', 'audit.unauthorizedWarn.threshold: expected an integer from 1 to 1000000, got 0'],
    ['unknown audit key', 'audit: { retain: 30d }', 'audit: unknown key "retain"'],
  ];
  for (const [name, yaml, message] of invalid) {
    it(`refuses ${name}`, () => {
      const file = tmp.write('server-bad.yaml', `${yaml}\n`);
      assert.throws(() => loadServerConfig(file), { message: `${file}: ${message}` });
    });
  }
});

describe('agent config', () => {
  it('reads the documented example, canonicalising hosts and ports', () => {
    const file = tmp.write(
      'agent.yaml',
      `credentials: ./agent.json
server: 127.0.0.1:8443
admin: 127.0.0.1:0
allow:
  - host: GitLab.internal.acme.net.
    ports: [443, 22]
  - host: "0x7f000001"
    ports: ["8000-8100", "9000"]
    allowLoopback: true
  - host: "*.Corp.Example."
    ports: [443]
  - host: "**.build.example"
    ports: [443]
  - host: "::ffff:10.0.0.0/104"
    ports: [22]
dns:
  hosts: { git.demo.internal: "127.1", Other.Internal: "::ffff:10.0.0.1" }
  servers: ["10.0.0.53", "0x0a000036:5353", "[fd00::53]:53", "fd00::54"]
  timeout: 2s
limits: { dialTimeout: 10s, maxTunnels: 1000 }
`,
    );
    assert.deepEqual(loadAgentConfig(file), {
      credentials: `${tmp.dir}/agent.json`,
      server: { host: '127.0.0.1', port: 8443 },
      admin: { host: '127.0.0.1', port: 0 },
      allow: [
        { host: 'gitlab.internal.acme.net', ports: [{ first: 443, last: 443 }, { first: 22, last: 22 }], allowLoopback: false },
        { host: '127.0.0.1', ports: [{ first: 8000, last: 8100 }, { first: 9000, last: 9000 }], allowLoopback: true },
        { host: '*.corp.example', ports: [{ first: 443, last: 443 }], allowLoopback: false },
        { host: '**.build.example', ports: [{ first: 443, last: 443 }], allowLoopback: false },
        { host: '10.0.0.0/8', ports: [{ first: 22, last: 22 }], allowLoopback: false },
      ],
      dns: {
        hosts: { 'git.demo.internal': '127.0.0.1', 'other.internal': '10.0.0.1' },
        servers: ['10.0.0.53:53', '10.0.0.54:5353', '[fd00::53]:53', '[fd00::54]:53'],
        timeout: 2000,
      },
      limits: {
        dialTimeout: 10_000,
        maxTunnels: 1000,
        idleTimeout: 1_800_000,
        drainTimeout: 30_000,
        keepaliveInterval: 10_000,
        keepaliveTimeout: 10_000,
      },
    });
  });

  const invalid: ReadonlyArray<readonly [string, string, string]> = [
    ['allow entry without ports', 'allow: [{ host: a }]', 'allow[0].ports: required'],
    ['allow entry with empty ports', 'allow: [{ host: a, ports: [] }]', 'allow[0].ports: expected at least one port'],
    ['allow host with zone id', 'allow: [{ host: "fe80::1%eth0", ports: [22] }]', 'allow[0].host: expected a host name, "*.suffix", "**.suffix", IP address or CIDR; IPv6 zone ids are refused: "fe80::1%eth0"'],
    ['allow host "*" alone', 'allow: [{ host: "*", ports: [22] }]', 'allow[0].host: expected a host name, "*.suffix", "**.suffix", IP address or CIDR; "*" would allow every host; list names, "*.suffix" patterns or CIDRs'],
    ['allow host wildcard in the middle', 'allow: [{ host: "git.*.net", ports: [22] }]', 'allow[0].host: expected a host name, "*.suffix", "**.suffix", IP address or CIDR; "git.*.net": "*" may only stand first, as "*.suffix" or "**.suffix"'],
    ['allow CIDR with host bits', 'allow: [{ host: "10.0.0.1/8", ports: [22] }]', 'allow[0].host: expected a host name, "*.suffix", "**.suffix", IP address or CIDR; "10.0.0.1/8" has host bits set; did you mean 10.0.0.0/8?'],
    ['dns server that is a name', 'dns: { servers: [ns.acme.net] }', 'dns.servers[0]: expected a resolver address like "10.0.0.53", "10.0.0.53:5353" or "[fd00::53]:53", got "ns.acme.net"'],
    ['dns server with port 0', 'dns: { servers: ["10.0.0.53:0"] }', 'dns.servers[0]: expected a resolver address like "10.0.0.53", "10.0.0.53:5353" or "[fd00::53]:53", got "10.0.0.53:0"'],
    ['dns server with a zone id', 'dns: { servers: ["[fe80::1%eth0]:53"] }', 'dns.servers[0]: expected a resolver address like "10.0.0.53", "10.0.0.53:5353" or "[fd00::53]:53", got "[fe80::1%eth0]:53"'],
    ['too many dns servers', 'dns: { servers: [1.1.1.1, 1.1.1.2, 1.1.1.3, 1.1.1.4, 1.1.1.5, 1.1.1.6, 1.1.1.7, 1.1.1.8, 1.1.1.9] }', 'dns.servers: expected at most 8 resolvers'],
    ['dns timeout too short', 'dns: { timeout: 1ms }', 'dns.timeout: expected a duration from 100ms to 1m, got "1ms"'],
    ['port 0', 'allow: [{ host: a, ports: [0] }]', 'allow[0].ports[0]: expected an integer from 1 to 65535, got 0'],
    ['dns value not an IP', 'dns: { hosts: { a.internal: b.internal } }', 'dns.hosts["a.internal"]: expected an IP address, got "b.internal"'],
    ['dns value with zone id', 'dns: { hosts: { a.internal: "fe80::1%eth0" } }', 'dns.hosts["a.internal"]: expected an IP address without a zone id, got "fe80::1%eth0"'],
    ['dns key that is an IP', 'dns: { hosts: { "[::1]": "::1" } }', 'dns.hosts["[::1]"]: expected a DNS name, got "[::1]"'],
    ['YAML number as host', 'allow: [{ host: 0x7f000001, ports: [22] }]', 'allow[0].host: expected a host name, "*.suffix", "**.suffix", IP address or CIDR, got 2130706433'],
    ['server with port 0', 'server: example.com:0', 'server: expected host:port with a port from 1 to 65535, got "example.com:0"'],
  ];
  for (const [name, yaml, message] of invalid) {
    it(`refuses ${name}`, () => {
      const file = tmp.write('agent-bad.yaml', `credentials: a.json\n${yaml}\n`);
      assert.throws(() => loadAgentConfig(file), { message: `${file}: ${message}` });
    });
  }
});

describe('client config', () => {
  it('applies defaults', () => {
    const file = tmp.write('client.yaml', 'credentials: client.json\n');
    assert.deepEqual(loadClientConfig(file), {
      credentials: `${tmp.dir}/client.json`,
      listen: { host: '127.0.0.1', port: 3128 },
      forwards: [],
      allowOpenProxy: false,
      limits: { maxConnections: 1000, headerBytes: 16384, handshakeTimeout: 10_000, idleTimeout: 900_000, keepAliveTimeout: 30_000, dialTimeout: 15_000 },
    });
  });

  it('reads every field', () => {
    const file = tmp.write(
      'client-full.yaml',
      'credentials: /etc/c.json\nserver: "[::1]:9443"\nlisten: 0.0.0.0:0\nadmin: 127.0.0.1:9100\n' +
        'forwards: ["127.0.0.1:2222=git.corp.test:22"]\nauth: { username: u, password: p }\nallowOpenProxy: true\n' +
        'limits: { maxConnections: 5, headerBytes: 4096, handshakeTimeout: 500ms, idleTimeout: 0, keepAliveTimeout: 5s, dialTimeout: 20s }\n',
    );
    assert.deepEqual(loadClientConfig(file), {
      credentials: '/etc/c.json',
      server: { host: '::1', port: 9443 },
      listen: { host: '0.0.0.0', port: 0 },
      admin: { host: '127.0.0.1', port: 9100 },
      forwards: [{ listen: { host: '127.0.0.1', port: 2222 }, target: { host: 'git.corp.test', port: 22 } }],
      auth: { username: 'u', password: 'p' },
      allowOpenProxy: true,
      limits: { maxConnections: 5, headerBytes: 4096, handshakeTimeout: 500, idleTimeout: 0, keepAliveTimeout: 5000, dialTimeout: 20_000 },
    });
  });

  it('refuses a header limit below 1 KiB', () => {
    const file = tmp.write('client-bad.yaml', 'credentials: c.json\nlimits: { headerBytes: 100 }\n');
    assert.throws(() => loadClientConfig(file), { message: `${file}: limits.headerBytes: expected an integer from 1024 to 1048576, got 100` });
  });
});
