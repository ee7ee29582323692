import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { AuditLog } from '../../src/audit/audit-log.js';
import { AUDIT_DB_FILE, SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { openTunnel, TunnelOpenError } from '../../src/client/open-tunnel.js';
import { loadCredential } from '../../src/config/credential.js';
import { obtainCertificate } from '../../src/identity/obtain-certificate.js';
import { ServerLink } from '../../src/identity/server-link.js';
import { CAUSEWAY_BIN } from '../../src/quickstart/launch.js';
import { toPartyCredential } from '../../src/cli/party-credential.js';
import { createLogger } from '../../src/log/logger.js';
import { AGENT, CLIENT, TestTunnel } from '../support/harness.js';
import { sampleValue, scrape } from '../support/prometheus.js';
import { connectThroughProxy, listenTcp, ProxyRefusal } from '../support/targets.js';

const execFileAsync = promisify(execFile);
const ROGUE = 'rogue@clients.test.causeway';

/** Runs the CLI; resolves with its exit code and output (never rejects on a non-zero exit). */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CAUSEWAY_BIN, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

type Row = Record<string, unknown> & { seq: number; type: string };

async function query(dataDir: string, ...filters: string[]): Promise<Row[]> {
  const out = await cli('audit', 'query', '--data-dir', dataDir, '--format', 'json', ...filters);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
}

/** Polls the store (read-only, as the CLI does) until a record matches. */
async function waitForRecord(dataDir: string, match: (r: Row) => boolean, timeoutMs = 20_000): Promise<Row> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const file = join(dataDir, AUDIT_DB_FILE);
    if (existsSync(file)) {
      const store = new SqliteAuditStore(file, { readonly: true });
      const found = store.query({ limit: 100_000 }).map((r) => ({ seq: r.seq, ...r.record }) as Row).find(match);
      await store.close();
      if (found) return found;
    }
    if (Date.now() > deadline) throw new Error('audit record did not appear in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('audit, metrics and health over a scripted session', () => {
  let tunnel: TestTunnel;
  let echo: Awaited<ReturnType<typeof listenTcp>>;
  let link: ServerLink;
  const injected = [
    'git.corp%0a{"decision":"allow"}',
    'git.corp\n{"type":"tunnel.opened","decision":"allow"}',
    'evil\u001b[2J\u001b]0;pwned\u0007.corp',
  ];

  before(async () => {
    echo = await listenTcp((socket) => socket.pipe(socket));
    tunnel = await TestTunnel.start({
      allow: [{ host: '127.0.0.1', ports: [echo.port] }],
      server: { audit: { unauthorizedWarn: { threshold: 1, window: '1m' } } },
    });
    const credential = toPartyCredential(loadCredential(join(tunnel.dir, 'client-1.json')).credential);
    link = new ServerLink(credential, { address: tunnel.serverAddress, log: createLogger('test', 'silent') });
    await link.start();
  });

  after(async () => {
    link?.stop();
    await tunnel?.stop();
    await echo?.close();
  });

  const metricsBefore: Record<string, number> = {};

  test('/metrics on all three programs parses, and /readyz is ready', async () => {
    const server = await scrape(tunnel.serverAdminPort);
    assert.equal(sampleValue(server, 'causeway_agents_connected'), 1);
    assert.ok(sampleValue(server, 'causeway_certificates_issued_total', { role: 'agent' }) >= 1);
    assert.ok(sampleValue(server, 'causeway_certificate_expiry_seconds') > 3600);
    metricsBefore['ok'] = sampleValue(server, 'causeway_tunnels_total', { result: 'ok' });
    metricsBefore['dial'] = sampleValue(server, 'causeway_dial_duration_seconds');
    for (const program of [tunnel.agent, tunnel.client]) {
      const port = Number(program.ready['adminPort']);
      const families = await scrape(port);
      assert.ok(sampleValue(families, 'causeway_certificate_expiry_seconds') > 3600, 'own certificate expiry is exported');
      assert.ok(families.has('causeway_tunnels_active'));
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (program === tunnel.client) {
        // The client is ready once its background check reached the server.
        const deadline = Date.now() + 20_000;
        let status = ready.status;
        while (status !== 200 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          status = (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
        }
        assert.equal(status, 200);
      } else {
        assert.equal(ready.status, 200, await ready.text());
      }
    }
  });

  test('a tunnel, an allowlist deny, an issuance refusal and injected targets are each audited with the right fields', async () => {
    const socket = await connectThroughProxy(tunnel.proxyPort, `127.0.0.1:${echo.port}`);
    socket.resume();
    const echoed = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => resolve(text));
    });
    socket.end('ping through the tunnel');
    assert.equal(await echoed, 'ping through the tunnel');
    socket.destroy();

    const refusal = await connectThroughProxy(tunnel.proxyPort, `127.0.0.1:${echo.port + 1 > 65535 ? 1 : echo.port + 1}`).then(
      () => assert.fail('should be refused'),
      (e: unknown) => e,
    );
    assert.ok(refusal instanceof ProxyRefusal && /403/.test(refusal.statusLine));

    for (const host of injected) {
      const err = await openTunnel(link, host, 443, 15_000).then(
        () => assert.fail('an injected target must be refused'),
        (e: unknown) => e,
      );
      // A target that does not parse is refused with INVALID_ARGUMENT (audited as a deny below).
      assert.ok(err instanceof TunnelOpenError && err.failure === 'error' && /valid host name/.test(err.message), String(err));
    }

    // An identity that is created, noticed, then disabled: its issuance is refused and audited.
    const rogueFile = await tunnel.createCredential(ROGUE, 'client');
    await waitForRecord(tunnel.dataDir, (r) => r.type === 'identity.changed' && r['identity'] === ROGUE && r['change'] === 'created');
    const disabled = await cli('identity', 'disable', '--data-dir', tunnel.dataDir, '--name', ROGUE);
    assert.equal(disabled.code, 0, disabled.stderr);
    await waitForRecord(tunnel.dataDir, (r) => r.type === 'identity.changed' && r['identity'] === ROGUE && r['change'] === 'disabled');
    await assert.rejects(obtainCertificate(toPartyCredential(loadCredential(rogueFile).credential), tunnel.serverAddress, { connectMs: 10_000, callMs: 10_000 }));

    await waitForRecord(tunnel.dataDir, (r) => r.type === 'tunnel.closed' && r['client'] === CLIENT);
    const all = await query(tunnel.dataDir, '--since', '1h');
    const one = (type: string, match: (r: Row) => boolean = () => true): Row => {
      const found = all.filter((r) => r.type === type && match(r));
      assert.ok(found.length >= 1, `no ${type} record`);
      return found[0]!;
    };
    assert.equal(one('token.accepted', (r) => r['identity'] === AGENT)['emitter'], 'server');
    const issued = one('certificate.issued', (r) => r['identity'] === CLIENT);
    assert.equal(issued['role'], 'client');
    assert.match(String(issued['serial']), /^[0-9a-f]+$/);
    assert.ok(Date.parse(String(issued['notAfter'])) > Date.now());
    const connected = one('agent.connected', (r) => r['identity'] === AGENT);
    assert.match(String(connected['instanceId']), /^[0-9a-f-]{36}$/);
    const opened = one('tunnel.opened', (r) => r['client'] === CLIENT);
    assert.equal(opened['agent'], AGENT);
    assert.equal(opened['target'], `127.0.0.1:${echo.port}`);
    assert.equal(opened['remoteAddress'], `127.0.0.1:${echo.port}`);
    assert.equal(typeof opened['dialMs'], 'number');
    const closed = one('tunnel.closed', (r) => r['tunnelId'] === opened['tunnelId']);
    assert.equal(closed['remoteAddress'], `127.0.0.1:${echo.port}`);
    assert.ok(Number(closed['bytesUp']) >= 'ping through the tunnel'.length);
    assert.ok(Number(closed['bytesDown']) >= 'ping through the tunnel'.length);
    assert.ok(Number(closed['durationMs']) >= 0);
    assert.equal(typeof closed['reason'], 'string');
    const deny = one('deny', (r) => r['layer'] === 'allowlist');
    assert.equal(deny['decision'], 'deny');
    assert.equal(deny['identity'], CLIENT);
    assert.equal(deny['rule'], 'allowlist:server-summary');
    assert.match(String(deny['reason']), /allow/);
    const rejected = one('token.rejected');
    assert.equal(rejected['code'], 'ERR_IDENTITY_DISABLED');

    // Each injected target: exactly one record, decision deny, the raw value kept as data.
    for (const host of injected) {
      const records = all.filter((r) => r['target'] === `${host}:443`);
      assert.equal(records.length, 1, `one record for ${JSON.stringify(host)}`);
      assert.equal(records[0]!.type, 'deny');
      assert.equal(records[0]!['decision'], 'deny');
      assert.equal(records[0]!['layer'], 'request');
    }
    assert.ok(!all.some((r) => r['decision'] === 'allow'), 'no record says allow');
    assert.ok(!all.some((r) => r.type === 'tunnel.opened' && String(r['target']).includes('corp')));

    // Filters: by identity and type; the table escapes what it prints.
    const denies = await query(tunnel.dataDir, '--since', '1h', '--identity', CLIENT, '--type', 'deny');
    assert.equal(denies.length, 1 + injected.length);
    assert.ok(denies.every((r) => r.type === 'deny'));
    const table = await cli('audit', 'query', '--data-dir', tunnel.dataDir, '--type', 'deny', '--format', 'table');
    assert.equal(table.code, 0);
    assert.doesNotMatch(table.stdout.replace(/\n/g, ''), /[\u0000-\u001f\u007f-\u009f]/, 'no raw control characters reach the terminal');
    assert.equal(table.stdout.trimEnd().split('\n').length, 1 + denies.length, 'one line per record plus the header');
    assert.match(table.stdout, /evil\\x1b\[2J\\x1b\]0;pwned\\x07\.corp/);
    assert.match(table.stdout, /git\.corp\\n\{"type":"tunnel\.opened","decision":"allow"\}:443/);

    // The JSON-lines sink holds the same records, one per line.
    const lines = readFileSync(join(tunnel.dataDir, 'audit.jsonl'), 'utf8').split('\n').filter(Boolean);
    assert.ok(lines.every((l) => typeof JSON.parse(l) === 'object'));
    assert.equal(lines.filter((l) => l.includes('git.corp')).length, 2);

    // The server's warning for repeated unauthorized attempts (threshold 1 in this test).
    await assert.rejects(obtainCertificate(toPartyCredential(loadCredential(rogueFile).credential), tunnel.serverAddress, { connectMs: 10_000, callMs: 10_000 }));
    await tunnel.server.waitForLog((l) => l['msg'] === 'repeated unauthorized access attempts', 10_000);
  });

  test('counters moved as the session expects', async () => {
    const server = await scrape(tunnel.serverAdminPort);
    assert.equal(sampleValue(server, 'causeway_tunnels_total', { result: 'ok' }) - metricsBefore['ok']!, 1);
    assert.equal(sampleValue(server, 'causeway_dial_duration_seconds') - metricsBefore['dial']!, 1);
    assert.equal(sampleValue(server, 'causeway_denies_total', { layer: 'allowlist', reason: 'allowlist:server-summary' }), 1);
    assert.equal(sampleValue(server, 'causeway_denies_total', { layer: 'request', reason: 'request:malformed-target' }), injected.length);
    assert.equal(sampleValue(server, 'causeway_unauthorized_total', { reason: 'identity_disabled' }), 2);
    assert.ok(sampleValue(server, 'causeway_tunnel_bytes_total', { direction: 'up' }) >= 'ping through the tunnel'.length);
    assert.equal(sampleValue(server, 'causeway_tunnels_active'), 0);
    assert.ok(sampleValue(server, 'causeway_certificates_issued_total', { role: 'client' }) >= 2);
    const client = await scrape(Number(tunnel.client.ready['adminPort']));
    assert.equal(sampleValue(client, 'causeway_tunnels_total', { result: 'ok' }), 1);
    assert.equal(sampleValue(client, 'causeway_tunnels_total', { result: 'denied' }), 1);
    const agent = await scrape(Number(tunnel.agent.ready['adminPort']));
    assert.equal(sampleValue(agent, 'causeway_tunnels_total', { result: 'ok' }), 1);
    assert.ok(sampleValue(agent, 'causeway_tunnel_bytes_total', { direction: 'down' }) >= 'ping through the tunnel'.length);
  });

  test('verify passes; editing or deleting one row fails naming it; pruning keeps it verifiable', async () => {
    // Peers first: the server's own shutdown waits for connected peers to hang up.
    link.stop();
    await Promise.all([tunnel.client.stop(), tunnel.agent.stop()]);
    await tunnel.server.stop();
    const dbFile = join(tunnel.dataDir, AUDIT_DB_FILE);
    const intact = await cli('audit', 'verify', '--data-dir', tunnel.dataDir);
    assert.equal(intact.code, 0, intact.stdout + intact.stderr);
    assert.match(intact.stdout, /intact/);
    const rows = await query(tunnel.dataDir);
    const victim = rows.find((r) => r.type === 'deny')!.seq;

    const copy = (name: string): string => {
      const dir = join(tunnel.dir, name);
      mkdirSync(dir);
      copyFileSync(dbFile, join(dir, AUDIT_DB_FILE));
      return dir;
    };
    const edited = copy('edited');
    const db1 = new Database(join(edited, AUDIT_DB_FILE));
    db1.prepare(`UPDATE audit SET body = replace(body, '"decision":"deny"', '"decision":"allow"') WHERE seq = ?`).run(victim);
    db1.close();
    const e = await cli('audit', 'verify', '--data-dir', edited);
    assert.equal(e.code, 1);
    assert.match(e.stdout, new RegExp(`BROKEN at record ${victim}: modified`));

    const deleted = copy('deleted');
    const db2 = new Database(join(deleted, AUDIT_DB_FILE));
    db2.prepare('DELETE FROM audit WHERE seq = ?').run(victim);
    db2.close();
    const d = await cli('audit', 'verify', '--data-dir', deleted);
    assert.equal(d.code, 1);
    assert.match(d.stdout, new RegExp(`BROKEN at record ${victim}: deleted`));

    // Thirty-one days later (a clock override, not a wait): everything from the session is past retention.
    const later = Date.now() + 31 * 86_400_000;
    const aged = copy('aged');
    const store = new SqliteAuditStore(join(aged, AUDIT_DB_FILE), { pruneIntervalMs: 0, now: () => later });
    new AuditLog([store], 'server').record({ type: 'config.reloaded', file: 'server.yaml', result: 'applied' }, new Date(later));
    assert.equal(store.prune(), rows.length);
    await store.close();
    const kept = await query(aged);
    assert.deepEqual(kept.map((r) => r.type), ['config.reloaded']);
    const v = await cli('audit', 'verify', '--data-dir', aged);
    assert.equal(v.code, 0, v.stdout);
  });
});
