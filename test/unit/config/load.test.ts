import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { agentConfigSchema } from '../../../src/config/agent.js';
import { clientConfigSchema } from '../../../src/config/client.js';
import { ConfigError } from '../../../src/config/errors.js';
import type { ConfigErrorCode } from '../../../src/config/errors.js';
import { loadConfigFile, parseConfig } from '../../../src/config/load.js';
import { withPathFields } from '../../../src/config/path-fields.js';
import { serverConfigSchema } from '../../../src/config/server.js';
import { tempDir } from './temp-dir.js';

const tmp = tempDir();

interface FailureCase {
  readonly name: string;
  readonly file: string;
  readonly yaml: string | undefined; // undefined = do not create the file
  readonly schema: z.ZodType<unknown>;
  readonly code: ConfigErrorCode;
  readonly field: string | undefined;
  readonly message: string; // after "<dir>/"
}

const failures: readonly FailureCase[] = [
  { name: 'missing file', file: 'absent.yaml', yaml: undefined, schema: agentConfigSchema, code: 'ERR_CONFIG_MISSING', field: undefined, message: 'absent.yaml: file not found' },
  {
    name: 'invalid YAML',
    file: 'bad-yaml.yaml',
    yaml: 'listen: 127.0.0.1:8443\nacl:\n  - clients: [a\n',
    schema: serverConfigSchema,
    code: 'ERR_CONFIG_YAML',
    field: undefined,
    message: 'bad-yaml.yaml: invalid YAML at line 4 column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
  },
  {
    name: 'duplicate key',
    file: 'dup.yaml',
    yaml: 'listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n',
    schema: serverConfigSchema,
    code: 'ERR_CONFIG_YAML',
    field: undefined,
    message: 'dup.yaml: invalid YAML at line 2 column 1: Map keys must be unique',
  },
  {
    name: 'unknown tag',
    file: 'tag.yaml',
    yaml: 'listen: !custom 127.0.0.1:1\n',
    schema: serverConfigSchema,
    code: 'ERR_CONFIG_YAML',
    field: undefined,
    message: 'tag.yaml: invalid YAML at line 1 column 9: Unresolved tag: !custom',
  },
  {
    name: 'unresolved alias',
    file: 'alias.yaml',
    yaml: 'listen: *nowhere\n',
    schema: serverConfigSchema,
    code: 'ERR_CONFIG_YAML',
    field: undefined,
    message: 'alias.yaml: invalid YAML: Unresolved alias (the anchor must be set before the alias): nowhere',
  },
  {
    name: 'unknown key at top level',
    file: 'top.yaml',
    yaml: 'credentials: ./c.json\nlisen: 127.0.0.1:3128\n',
    schema: clientConfigSchema,
    code: 'ERR_CONFIG_UNKNOWN_KEY',
    field: undefined,
    message: 'top.yaml: unknown key "lisen" (did you mean "listen"?)',
  },
  {
    name: 'unknown key nested, reported before other problems',
    file: 'nested.yaml',
    yaml: 'credentials: ./a.json\nallow: [{ host: a, ports: [0] }]\nlimits:\n  dialTimout: 5s\n',
    schema: agentConfigSchema,
    code: 'ERR_CONFIG_UNKNOWN_KEY',
    field: 'limits',
    message: 'nested.yaml: limits: unknown key "dialTimout" (did you mean "dialTimeout"?)',
  },
  {
    name: 'unknown key in a list item',
    file: 'item.yaml',
    yaml: 'credentials: ./a.json\nallow:\n  - host: a\n    ports: [22]\n    port: 23\n',
    schema: agentConfigSchema,
    code: 'ERR_CONFIG_UNKNOWN_KEY',
    field: 'allow[0]',
    message: 'item.yaml: allow[0]: unknown key "port" (did you mean "ports"?)',
  },
  {
    name: 'several unknown keys, no close match',
    file: 'many.yaml',
    yaml: 'credentials: ./a.json\nfoo: 1\nbar: 2\n',
    schema: agentConfigSchema,
    code: 'ERR_CONFIG_UNKNOWN_KEY',
    field: undefined,
    message: 'many.yaml: unknown keys "foo", "bar"',
  },
  {
    name: 'missing required key',
    file: 'required.yaml',
    yaml: 'allow: [{ ports: [443] }]\n',
    schema: agentConfigSchema,
    code: 'ERR_CONFIG_INVALID',
    field: 'allow[0].host',
    message: 'required.yaml: allow[0].host: required',
  },
  {
    name: 'wrong type',
    file: 'type.yaml',
    yaml: 'credentials: ./a.json\nallow: { host: a }\n',
    schema: agentConfigSchema,
    code: 'ERR_CONFIG_INVALID',
    field: 'allow',
    message: 'type.yaml: allow: expected a list of allowed hosts, got a mapping',
  },
  {
    name: 'wrong type: boolean',
    file: 'bool.yaml',
    yaml: 'credentials: ./a.json\nallow: [{ host: a, ports: [22], allowLoopback: "yes" }]\n',
    schema: agentConfigSchema,
    code: 'ERR_CONFIG_INVALID',
    field: 'allow[0].allowLoopback',
    message: 'bool.yaml: allow[0].allowLoopback: expected true or false, got "yes"',
  },
  {
    name: 'top level not a mapping',
    file: 'list.yaml',
    yaml: '- a\n- b\n',
    schema: serverConfigSchema,
    code: 'ERR_CONFIG_INVALID',
    field: undefined,
    message: 'list.yaml: expected a mapping, got a list',
  },
  {
    name: 'port not a number',
    file: 'port-word.yaml',
    yaml: 'credentials: ./a.json\nallow:\n  - { host: a, ports: [22] }\n  - { host: b, ports: [http] }\n',
    schema: agentConfigSchema,
    code: 'ERR_CONFIG_INVALID',
    field: 'allow[1].ports[0]',
    message: 'port-word.yaml: allow[1].ports[0]: expected an integer from 1 to 65535, got "http"',
  },
  {
    name: 'port out of range',
    file: 'port-range.yaml',
    yaml: 'credentials: ./a.json\nallow: [{ host: a, ports: [443, 70000] }]\n',
    schema: agentConfigSchema,
    code: 'ERR_CONFIG_INVALID',
    field: 'allow[0].ports[1]',
    message: 'port-range.yaml: allow[0].ports[1]: expected an integer from 1 to 65535, got 70000',
  },
  {
    name: 'port range reversed',
    file: 'reversed.yaml',
    yaml: 'credentials: ./a.json\nallow: [{ host: a, ports: ["9000-8000"] }]\n',
    schema: agentConfigSchema,
    code: 'ERR_CONFIG_INVALID',
    field: 'allow[0].ports[0]',
    message: 'reversed.yaml: allow[0].ports[0]: expected a port range like "8000-8100" within 1 to 65535, got "9000-8000"',
  },
  {
    name: 'bad duration',
    file: 'duration.yaml',
    yaml: 'limits:\n  dialTimeout: 10 seconds\n',
    schema: serverConfigSchema,
    code: 'ERR_CONFIG_INVALID',
    field: 'limits.dialTimeout',
    message: 'duration.yaml: limits.dialTimeout: expected a duration like "250ms", "30s", "5m", "24h" or "7d", got "10 seconds"',
  },
  {
    name: 'duration out of bounds',
    file: 'lifetime.yaml',
    yaml: 'certLifetime: 60d\n',
    schema: serverConfigSchema,
    code: 'ERR_CONFIG_INVALID',
    field: 'certLifetime',
    message: 'lifetime.yaml: certLifetime: expected a duration from 5s to 30d, got "60d"',
  },
  {
    name: 'bad address',
    file: 'address.yaml',
    yaml: 'listen: 8443\n',
    schema: serverConfigSchema,
    code: 'ERR_CONFIG_INVALID',
    field: 'listen',
    message: 'address.yaml: listen: expected an address like "127.0.0.1:8443" or "[::1]:8443", got 8443',
  },
  {
    name: 'address port out of range',
    file: 'address-port.yaml',
    yaml: 'credentials: ./c.json\nserver: tunnel.example.com:0\n',
    schema: clientConfigSchema,
    code: 'ERR_CONFIG_INVALID',
    field: 'server',
    message: 'address-port.yaml: server: expected host:port with a port from 1 to 65535, got "tunnel.example.com:0"',
  },
  {
    name: 'bad host in a map key',
    file: 'dns.yaml',
    yaml: 'credentials: ./a.json\ndns:\n  hosts: { "bad name": 10.0.0.1 }\n',
    schema: agentConfigSchema,
    code: 'ERR_CONFIG_INVALID',
    field: 'dns.hosts["bad name"]',
    message: 'dns.yaml: dns.hosts["bad name"]: expected a DNS name, got "bad name"',
  },
];

describe('loadConfigFile: each way a file fails', () => {
  for (const c of failures) {
    it(c.name, () => {
      const file = c.yaml === undefined ? join(tmp.dir, c.file) : tmp.write(c.file, c.yaml);
      assert.throws(
        () => loadConfigFile(file, c.schema),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.code, c.code);
          assert.equal(error.file, file);
          assert.equal(error.field, c.field);
          assert.equal(error.message, `${tmp.dir}/${c.message}`);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
    });
  }
});

describe('loadConfigFile: success', () => {
  it('applies defaults to an empty file and resolves dataDir against the file', () => {
    const file = tmp.write('empty-server.yaml', '# nothing set\n');
    const config = loadConfigFile(file, serverConfigSchema);
    assert.deepEqual(config, {
      listen: { host: '127.0.0.1', port: 8443 },
      dataDir: join(tmp.dir, 'data'),
      serverNames: ['localhost', '127.0.0.1', '::1'],
      certLifetime: 86_400_000,
      acl: [],
      limits: {
        maxStreamsPerIdentity: 1000,
        dialTimeout: 10_000,
        maxPendingDials: 1000,
        drainTimeout: 30_000,
        keepaliveInterval: 10_000,
        keepaliveTimeout: 10_000,
      },
      replica: { count: 1 },
      audit: { store: 'sqlite', retention: 30 * 86_400_000, pruneInterval: 3_600_000, jsonLinesStdout: false, unauthorizedWarn: { threshold: 10, window: 60_000 } },
    });
  });

  it('resolves a relative credentials path against the config file directory, not the cwd', () => {
    const file = tmp.write('agent.yaml', 'credentials: ../keys/agent.json\n');
    assert.equal(loadConfigFile(file, agentConfigSchema).credentials, join(tmp.dir, '..', 'keys', 'agent.json'));
  });

  it('keeps absolute paths as they are', () => {
    const file = tmp.write('client.yaml', 'credentials: /etc/causeway/client.json\n');
    assert.equal(loadConfigFile(file, clientConfigSchema).credentials, '/etc/causeway/client.json');
  });

  it('returns a deep-frozen result', () => {
    const file = tmp.write('frozen.yaml', 'credentials: a.json\nallow: [{ host: a, ports: [22] }]\n');
    const config = loadConfigFile(file, agentConfigSchema);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.allow));
    assert.ok(Object.isFrozen(config.allow[0]?.ports[0]));
    assert.ok(Object.isFrozen(config.limits));
    assert.throws(() => {
      (config.limits as { maxTunnels: number }).maxTunnels = 1;
    }, TypeError);
  });

  it('does not share default objects between loads', () => {
    const file = tmp.write('twice.yaml', 'credentials: a.json\n');
    const a = loadConfigFile(file, agentConfigSchema);
    const b = loadConfigFile(file, agentConfigSchema);
    assert.notEqual(a.allow, b.allow);
    assert.notEqual(a.dns.hosts, b.dns.hosts);
  });
});

describe('parseConfig', () => {
  it('validates an in-memory config, naming the source in errors', () => {
    assert.throws(() => parseConfig({ listen: 'nowhere' }, serverConfigSchema, 'quickstart'), {
      code: 'ERR_CONFIG_INVALID',
      message: 'quickstart: listen: expected an address like "127.0.0.1:8443" or "[::1]:8443", got "nowhere"',
    });
  });

  it('resolves path fields against baseDir, or the working directory by default', () => {
    assert.equal(parseConfig({ dataDir: 'state' }, serverConfigSchema, 'mem', { baseDir: '/srv/causeway' }).dataDir, '/srv/causeway/state');
    assert.equal(parseConfig({}, serverConfigSchema, 'mem').dataDir, join(process.cwd(), 'data'));
  });

  it('resolves only the declared path fields of a schema', () => {
    const schema = withPathFields(z.strictObject({ a: z.string(), b: z.string(), nested: z.strictObject({ c: z.string() }) }), ['a', 'nested.c']);
    assert.deepEqual(parseConfig({ a: 'x', b: 'y', nested: { c: 'z' } }, schema, 'mem', { baseDir: '/base' }), {
      a: '/base/x',
      b: 'y',
      nested: { c: '/base/z' },
    });
  });
});
