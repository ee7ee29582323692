import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/errors.js';
import { formatFieldPath } from '../../../src/config/field-path.js';

describe('ConfigError', () => {
  it('reads <file>: <field>: <problem>', () => {
    const error = new ConfigError('ERR_CONFIG_INVALID', 'agent.yaml', 'expected an integer from 1 to 65535, got "http"', { field: 'allow[1].ports[0]' });
    assert.equal(error.message, 'agent.yaml: allow[1].ports[0]: expected an integer from 1 to 65535, got "http"');
    assert.equal(error.name, 'ConfigError');
    assert.equal(error.code, 'ERR_CONFIG_INVALID');
    assert.equal(error.file, 'agent.yaml');
    assert.equal(error.field, 'allow[1].ports[0]');
    assert.ok(error instanceof Error);
  });
  it('reads <file>: <problem> without a field', () => {
    const error = new ConfigError('ERR_CONFIG_MISSING', 'agent.yaml', 'file not found');
    assert.equal(error.message, 'agent.yaml: file not found');
    assert.equal(error.field, undefined);
    assert.equal('field' in error, false);
  });
  it('keeps the message on one line and the cause apart', () => {
    const cause = new Error('inner\nstack');
    const error = new ConfigError('ERR_CONFIG_YAML', 'server.yaml', 'invalid YAML:\n\n  a: b\n  ^\n', { cause });
    assert.equal(error.message, 'server.yaml: invalid YAML: a: b ^');
    assert.equal(error.cause, cause);
  });
});

describe('formatFieldPath', () => {
  const rows: ReadonlyArray<readonly [PropertyKey[], string]> = [
    [[], ''],
    [['listen'], 'listen'],
    [['allow', 1, 'ports', 0], 'allow[1].ports[0]'],
    [['limits', 'dialTimeout'], 'limits.dialTimeout'],
    [['dns', 'hosts', 'git.demo.internal'], 'dns.hosts["git.demo.internal"]'],
  ];
  for (const [path, text] of rows) it(`${JSON.stringify(path)} -> ${text}`, () => assert.equal(formatFieldPath(path), text));
});
