#!/usr/bin/env node
// CI gate: fails on a known high or critical vulnerability in the runtime dependencies
// (`npm audit --omit=dev`), but only warns when the audit service cannot be asked (offline CI, a
// registry mirror without the audit endpoint): a network error is not a finding.
// Exit 0: no high/critical finding, or the service was unreachable (warning on stderr).
// Exit 1: high or critical findings (listed). Exit 2: npm's output was neither a report nor an error.
// `--report FILE` judges a saved `npm audit --json` output instead of running npm (for tests).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const FAILING = ['high', 'critical'];

function runAudit() {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { text: '', failure: `could not run npm audit: ${r.error.message}` };
  return { text: r.stdout };
}

const reportFlag = process.argv.indexOf('--report');
const { text, failure } = reportFlag > 0 ? { text: readFileSync(process.argv[reportFlag + 1], 'utf8') } : runAudit();
if (failure) {
  process.stderr.write(`audit: WARNING: ${failure}; runtime dependencies were not audited\n`);
  process.exit(0);
}

let report;
try {
  report = JSON.parse(text);
} catch {
  process.stderr.write(`audit: npm audit printed no JSON report:\n${text.slice(0, 2000)}\n`);
  process.exit(2);
}

const counts = report?.metadata?.vulnerabilities;
if (counts && typeof counts === 'object') {
  const failing = Object.entries(report.vulnerabilities ?? {}).filter(([, v]) => FAILING.includes(v?.severity));
  const total = FAILING.reduce((n, level) => n + (Number(counts[level]) || 0), 0);
  if (total === 0 && failing.length === 0) {
    const others = Object.entries(counts).filter(([k, n]) => k !== 'total' && n > 0).map(([k, n]) => `${n} ${k}`);
    process.stdout.write(`audit: no high or critical vulnerability in runtime dependencies${others.length ? ` (also: ${others.join(', ')})` : ''}\n`);
    process.exit(0);
  }
  process.stderr.write(`audit: ${total} high or critical vulnerabilities in runtime dependencies:\n`);
  for (const [name, v] of failing) {
    const advisories = (v.via ?? []).filter((x) => typeof x === 'object').map((x) => `${x.title ?? ''} ${x.url ?? ''}`.trim());
    process.stderr.write(`  ${v.severity} ${name} ${v.range ?? ''}${advisories.length ? `: ${advisories.join('; ')}` : ''}${v.fixAvailable ? ' (fix available: npm audit fix --omit=dev)' : ''}\n`);
  }
  process.exit(1);
}

if (report && typeof report === 'object' && ('error' in report || 'message' in report)) {
  const why = report.message || report.error?.summary || report.error?.code || 'unknown error';
  process.stderr.write(`audit: WARNING: the audit service could not be asked (${why}); runtime dependencies were not audited\n`);
  process.exit(0);
}

process.stderr.write(`audit: npm audit's JSON is neither a report nor an error:\n${text.slice(0, 2000)}\n`);
process.exit(2);
