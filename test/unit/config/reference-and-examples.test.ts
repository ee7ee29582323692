import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadAgentConfig } from '../../../src/config/agent.js';
import { checkClientExposure, loadClientConfig } from '../../../src/config/client.js';
import { durationSchema } from '../../../src/config/duration.js';
import { integerSchema } from '../../../src/config/integer.js';
import { configFields, ConfigReferenceError, renderConfigReference } from '../../../src/config/reference.js';
import { loadServerConfig } from '../../../src/config/server.js';
import { compileAcl, decideAcl } from '../../../src/policy/acl.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

describe('docs/config.md', () => {
  test('is what npm run docs:config generates from the schemas today', () => {
    const current = readFileSync(join(ROOT, 'docs', 'config.md'), 'utf8');
    const fresh = renderConfigReference();
    assert.ok(current === fresh, 'docs/config.md is stale: run `npm run docs:config` and commit docs/config.md');
  });

  test('documents every key of every schema, with its default', () => {
    const text = renderConfigReference();
    for (const key of ['`limits.dialTimeout`', '`allow[].ports`', '`audit.unauthorizedWarn.window`', '`oidc[].identities`', '`forwards`']) assert.ok(text.includes(key), key);
    assert.match(text, /\| `certLifetime` \| a duration from 5s to 30d \| `24h` \|/);
    // Optional in the schema because CAUSEWAY_CREDENTIALS_FILE can name it instead; the row says so.
    assert.match(text, /\| `credentials` \| a path to the credential file \(relative to the config file\) \| \(unset\) \| .*Required unless CAUSEWAY_CREDENTIALS_FILE/);
    assert.match(text, /\| `limits.maxTunnels` \| an integer from 1 to 1000000 \| `1000` \|/);
    assert.match(text, /\| `audit.store` \| sqlite or none \| `sqlite` \|/);
  });

  const tiny = z.strictObject({
    name: z.string(),
    limits: z.strictObject({ timeout: durationSchema({ min: 1000, max: 60_000 }).prefault('5s'), count: integerSchema(1, 10).default(3) }).prefault({}),
    list: z.array(z.strictObject({ host: z.string() })).optional(),
  });
  const tinyDocs = { '': 'Tiny.', name: 'A name.', limits: 'Limits.', 'limits.timeout': 'A timeout.', 'limits.count': 'A count.', list: 'A list.', 'list[].host': 'A host.' };

  test('reads keys, requiredness, defaults and values off the schema', () => {
    assert.deepEqual(
      configFields(tiny).map((r) => [r.path, r.type, r.required, r.default]),
      [
        ['name', 'a string', true, undefined],
        ['limits', 'a mapping (keys below)', false, '{}'],
        ['limits.timeout', 'a duration from 1s to 1m', false, '5s'],
        ['limits.count', 'an integer from 1 to 10', false, '3'],
        ['list', 'a list; each a mapping with the keys below', false, undefined],
        ['list[].host', 'a string', true, undefined],
      ],
    );
    assert.match(renderConfigReference({ 'tiny.yaml': tiny }, { 'tiny.yaml': tinyDocs }), /## tiny.yaml\n\nTiny\./);
  });

  const drift: { name: string; docs: Record<string, string>; problem: RegExp }[] = [
    { name: 'a key without a description', docs: { ...tinyDocs, 'limits.count': undefined as unknown as string }, problem: /tiny.yaml: limits.count has no description/ },
    { name: 'a description of a key the schema lacks', docs: { ...tinyDocs, 'limits.retries': 'Gone.' }, problem: /describes limits.retries, which the schema does not have/ },
    { name: 'a list item key without a description', docs: { ...tinyDocs, 'list[].host': undefined as unknown as string }, problem: /tiny.yaml: list\[\]\.host has no description/ },
  ];
  for (const { name, docs, problem } of drift) {
    test(`refuses to render ${name}`, () => {
      const cleaned = Object.fromEntries(Object.entries(docs).filter(([, v]) => v !== undefined));
      assert.throws(() => renderConfigReference({ 'tiny.yaml': tiny }, { 'tiny.yaml': cleaned }), (err: unknown) => err instanceof ConfigReferenceError && problem.test(err.message));
    });
  }
});

describe('examples/', () => {
  const dir = join(ROOT, 'examples');

  test('server.yaml loads through the real loader, paths relative to examples/', () => {
    const config = loadServerConfig(join(dir, 'server.yaml'));
    assert.equal(config.dataDir, join(dir, 'data'));
    assert.equal(config.listen.port, 8443);
    assert.equal(config.admin?.host, '127.0.0.1');
  });

  test('agent.yaml loads, and its allowlist covers the name its dns.hosts gives', () => {
    const config = loadAgentConfig(join(dir, 'agent.yaml'));
    assert.equal(config.credentials, join(dir, 'agent.json'));
    const names = Object.keys(config.dns.hosts);
    assert.deepEqual(names, ['web.example.internal']);
    assert.deepEqual(
      config.allow.map((entry) => entry.host),
      names,
    );
  });

  test('client.yaml loads and passes the exposure check the client makes at start', () => {
    const config = loadClientConfig(join(dir, 'client.yaml'));
    assert.equal(config.credentials, join(dir, 'client.json'));
    assert.doesNotThrow(() => checkClientExposure(config, 'client.yaml'));
  });

  test("the server's acl lets the walkthrough's client use its agent for the page, and nothing else", () => {
    const acl = compileAcl(loadServerConfig(join(dir, 'server.yaml')).acl);
    const decide = (client: string, host: string, port: number) => decideAcl(acl, { client, agent: 'demo@agents.example.causeway', host, port }).allow;
    assert.equal(decide('demo@clients.example.causeway', 'web.example.internal', 8080), true);
    assert.equal(decide('demo@clients.example.causeway', 'web.example.internal', 22), false);
    assert.equal(decide('demo@clients.other.causeway', 'web.example.internal', 8080), false);
  });
});
