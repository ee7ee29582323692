import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const UNIT = join(ROOT, 'deploy', 'systemd', 'causeway-agent.service');
const text = readFileSync(UNIT, 'utf8');
const MAX_EXPOSURE = 2.0;

/** section → key → every value (a key may repeat). */
function parseUnit(source: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current && eq > 0, `not a key=value line inside a section: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

const unit = parseUnit(text);
const service = unit.get('Service') ?? new Map<string, string[]>();
const work = mkdtempSync(join(tmpdir(), 'causeway-systemd-'));
after(() => rmSync(work, { recursive: true, force: true }));
const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

/** The unit with ExecStart pointing at an executable that exists here (verify checks it). */
function unitHere(): string {
  const file = join(work, 'causeway-agent.service');
  writeFileSync(file, text.replaceAll('/usr/local/bin/causeway', process.execPath));
  return file;
}

describe('deploy/systemd/causeway-agent.service', () => {
  test('runs the agent from the conventional paths with the key file as a systemd credential', () => {
    assert.deepEqual(service.get('ExecStart'), ['/usr/local/bin/causeway agent --config /etc/causeway/agent.yaml']);
    assert.deepEqual(service.get('LoadCredential'), ['agent.json:/etc/causeway/agent.json']);
    assert.deepEqual(service.get('Environment'), ['CAUSEWAY_CREDENTIALS_FILE=%d/agent.json']);
    assert.deepEqual(service.get('Restart'), ['on-failure']);
    assert.deepEqual(unit.get('Install')?.get('WantedBy'), ['multi-user.target']);
  });

  const hardening: [string, string][] = [
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['PrivateTmp', 'yes'],
    ['DynamicUser', 'yes'],
    ['CapabilityBoundingSet', ''],
    ['AmbientCapabilities', ''],
    ['RestrictAddressFamilies', 'AF_INET AF_INET6 AF_UNIX AF_NETLINK'],
    ['SystemCallArchitectures', 'native'],
  ];
  for (const [key, value] of hardening) {
    test(`${key}=${value}`, () => assert.deepEqual(service.get(key), [value]));
  }

  test('SystemCallFilter allows the service set and denies privileged groups', () => {
    const filters = service.get('SystemCallFilter') ?? [];
    assert.ok(filters.includes('@system-service'), filters.join(' | '));
    const deny = filters.find((f) => f.startsWith('~')) ?? '';
    for (const group of ['@privileged', '@mount', '@debug', '@reboot', '@swap', '@raw-io']) assert.ok(deny.includes(group), `${group} not denied`);
  });

  test('systemd-analyze verify accepts it without a warning', { skip: !hasAnalyze && 'systemd-analyze is not installed' }, () => {
    const r = spawnSync('systemd-analyze', ['verify', unitHere()], { encoding: 'utf8', timeout: 30_000, cwd: work });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', 'unknown keys and bad values are only warnings: there must be none');
  });

  test(`systemd-analyze security rates its exposure at most ${MAX_EXPOSURE}`, { skip: !hasAnalyze && 'systemd-analyze is not installed' }, () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', unitHere()], { encoding: 'utf8', timeout: 30_000, cwd: work });
    const m = /Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout);
    assert.ok(m, r.stdout + r.stderr);
    assert.ok(Number(m[1]) <= MAX_EXPOSURE, `exposure ${m[1]}`);
  });
});
