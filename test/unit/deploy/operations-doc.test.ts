import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

// docs/operations.md names metrics, error codes and log messages; each must be one the programs have.
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DOC = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');

function sources(dir: string): string {
  let text = '';
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) text += sources(path);
    else if (name.endsWith('.ts')) text += readFileSync(path, 'utf8');
  }
  return text;
}
const SRC = sources(join(ROOT, 'src'));

function section(marker: string): string {
  const start = DOC.indexOf(`<!-- ${marker}:start -->`);
  const end = DOC.indexOf(`<!-- ${marker}:end -->`);
  assert.ok(start >= 0 && end > start, `docs/operations.md lacks the ${marker} markers`);
  return DOC.slice(start, end);
}

describe('docs/operations.md', () => {
  test('the metrics table lists exactly the metrics src/ defines', () => {
    const defined = new Set([...SRC.matchAll(/name: '(causeway_[a-z_]+)'/g)].map((m) => m[1]!));
    const prefix = /prefix: '(causeway_[a-z_]+_)'/.exec(SRC)?.[1];
    const listed = [...section('metrics').matchAll(/^\| `(causeway_[a-z_*]+)`/gm)].map((m) => m[1]!);
    assert.deepEqual(new Set(listed.filter((n) => !n.endsWith('*'))), defined);
    assert.ok(prefix && listed.includes(`${prefix}*`), `process metrics prefix ${prefix} not listed`);
  });

  test('every error code and log message in the troubleshooting table is one the programs print', () => {
    const table = section('troubleshooting');
    const codes = [...table.matchAll(/`(ERR_[A-Z_]+)`/g)].map((m) => m[1]!);
    assert.ok(codes.length >= 15, `only ${codes.length} codes`);
    for (const code of codes) assert.ok(SRC.includes(`'${code}'`), `${code} is not a code in src/`);
    const messages = [...table.matchAll(/^\| `([a-z][a-z ]+)`/gm)].map((m) => m[1]!);
    assert.ok(messages.length >= 3, messages.join(', '));
    for (const message of messages) assert.ok(SRC.includes(message), `"${message}" is printed nowhere in src/`);
  });

  test('covers deploying the agent four ways, key rotation, revocation, the audit log and metrics', () => {
    for (const heading of ['## Quick local walkthrough', '### Binary', '### Docker', '### systemd', '### Kubernetes', '## Rotating keys', '## Revoking an identity', '## Reading the audit log', '## Metrics', '## Troubleshooting']) {
      assert.ok(DOC.includes(`\n${heading}\n`), heading);
    }
  });
});
