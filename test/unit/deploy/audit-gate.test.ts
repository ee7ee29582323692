import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'audit-runtime-deps.js');
const work = mkdtempSync(join(tmpdir(), 'causeway-audit-gate-'));
after(() => rmSync(work, { recursive: true, force: true }));

const counts = (c: Partial<Record<'info' | 'low' | 'moderate' | 'high' | 'critical', number>>) => {
  const all = { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...c };
  return { ...all, total: Object.values(all).reduce((a, b) => a + b, 0) };
};
const report = (c: Parameters<typeof counts>[0], vulnerabilities: Record<string, unknown> = {}) =>
  JSON.stringify({ auditReportVersion: 2, vulnerabilities, metadata: { vulnerabilities: counts(c), dependencies: { prod: 60 } } });
const finding = (severity: string) => ({ name: 'pino', severity, range: '<10.5.0', via: [{ title: 'Prototype pollution', url: 'https://github.com/advisories/GHSA-xxxx' }], fixAvailable: true });

// Shapes of `npm audit --omit=dev --json` output and what CI must do with each.
const cases: { name: string; output: string; status: number; stream: 'stdout' | 'stderr'; says: RegExp }[] = [
  { name: 'a clean report', output: report({}), status: 0, stream: 'stdout', says: /no high or critical vulnerability/ },
  { name: 'moderate findings only', output: report({ moderate: 2, low: 1 }), status: 0, stream: 'stdout', says: /also: 1 low, 2 moderate/ },
  { name: 'a high finding', output: report({ high: 1 }, { pino: finding('high') }), status: 1, stream: 'stderr', says: /1 high or critical.*\n  high pino <10\.5\.0: Prototype pollution https:\/\/github.com\/advisories\/GHSA-xxxx \(fix available/ },
  { name: 'a critical finding', output: report({ critical: 1 }, { pino: finding('critical') }), status: 1, stream: 'stderr', says: /critical pino/ },
  {
    name: 'an unreachable service (connection refused)',
    output: JSON.stringify({ message: 'request to http://127.0.0.1:9/-/npm/v1/security/advisories/bulk failed, reason: connect ECONNREFUSED 127.0.0.1:9', error: { summary: '', detail: '' } }),
    status: 0,
    stream: 'stderr',
    says: /WARNING: the audit service could not be asked \(request to .* ECONNREFUSED .*\); runtime dependencies were not audited/,
  },
  {
    name: 'a mirror without the audit endpoint (405)',
    output: JSON.stringify({ message: '405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk', statusCode: 405, error: { summary: '', detail: '' } }),
    status: 0,
    stream: 'stderr',
    says: /WARNING: .*405 Method Not Allowed/,
  },
  { name: 'output that is not JSON', output: 'npm ERR! something else\n', status: 2, stream: 'stderr', says: /printed no JSON report/ },
  { name: 'JSON that is neither report nor error', output: '{"hello":1}', status: 2, stream: 'stderr', says: /neither a report nor an error/ },
];

describe('CI audit gate (scripts/audit-runtime-deps.js)', () => {
  cases.forEach(({ name, output, status, stream, says }, i) => {
    test(`${name} → exit ${status}`, () => {
      const file = join(work, `report-${i}.json`);
      writeFileSync(file, output);
      const r = spawnSync(process.execPath, [SCRIPT, '--report', file], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.status, status, `${r.stdout}${r.stderr}`);
      assert.match(r[stream], says);
    });
  });
});
