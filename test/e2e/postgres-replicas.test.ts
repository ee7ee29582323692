import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { initCa } from '../../src/pki/ca.js';
import { GrpcStatus } from '../../src/protocol/grpc-status.js';
import { CAUSEWAY_BIN, launch, type LaunchedProgram } from '../../src/quickstart/launch.js';
import { ISSUE, issuanceRequest, rawCall, type CredentialFile } from '../support/issuance.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { getJson, pollUntil, type ServerStatus } from '../support/status.js';
import { connectThroughProxy, listenTcp, ProxyRefusal } from '../support/targets.js';
import { writeReplicaConfigs } from '../support/replica-configs.js';

const DOMAIN = 'test.causeway';
const AGENT = `pg-agent@agents.${DOMAIN}`;
const CLIENT_A = `pg-client-a@clients.${DOMAIN}`;
const CLIENT_B = `pg-client-b@clients.${DOMAIN}`;
const VICTIM = `pg-victim@clients.${DOMAIN}`;
/** What the issue asks: a change made through one replica is in force on every replica within this. */
const PROPAGATION_LIMIT_MS = 2000;
/** The database is away this long in the outage test. */
const OUTAGE_MS = 10_000;
/** Everything works again within this after the database returns. */
const RECOVERY_LIMIT_MS = 5000;

interface Replica {
  id: 'A' | 'B';
  port: number;
  config: string;
  program: LaunchedProgram;
}

/** Runs `causeway <args>` to completion. */
function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CAUSEWAY_BIN, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** GETs a text page (metrics) from an admin listener. */
function getText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

function metric(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** A tunnel to the echo target through a client's proxy, with a way to prove bytes still flow. */
class EchoTunnel {
  private received = '';
  closedAt: number | undefined;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => (this.received += c.toString()));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedAt = Date.now();
        resolve();
      }),
    );
    socket.resume();
  }

  static async open(proxyPort: number, target: string): Promise<EchoTunnel> {
    return new EchoTunnel(await connectThroughProxy(proxyPort, target));
  }

  /** Sends a unique line and waits for it to come back. */
  async roundTrip(timeoutMs = 3000): Promise<void> {
    const line = `ping-${Math.random().toString(36).slice(2)}\n`;
    this.socket.write(line);
    await pollUntil(() => this.received.includes(line), timeoutMs, 'the echo through the open tunnel');
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('server replicas sharing state in PostgreSQL', () => {
  let dir: string;
  let postgres: TestPostgres;
  let storeUrl: string;
  let echo: Awaited<ReturnType<typeof listenTcp>>;
  const replicas: Replica[] = [];
  const programs: LaunchedProgram[] = [];
  const clientPorts = new Map<string, number>();
  const tunnels: EchoTunnel[] = [];
  const figures: Record<string, number> = {};
  let echoTarget = '';

  const replica = (id: 'A' | 'B'): Replica => replicas.find((r) => r.id === id)!;
  const adminPort = (r: Replica): number => Number(r.program.ready['adminPort']);
  const statusOf = (r: Replica): Promise<ServerStatus> => getJson<ServerStatus>(adminPort(r), '/status');
  const psql = (sql: string): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile('psql', [storeUrl, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql], { env: { ...process.env, PGPASSWORD: postgres.password }, timeout: 10_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`psql: ${stderr}`)) : resolve(stdout.trim()),
      );
    });
  const openTunnel = async (client: string): Promise<EchoTunnel> => {
    const tunnel = await EchoTunnel.open(clientPorts.get(client)!, echoTarget);
    tunnels.push(tunnel);
    return tunnel;
  };
  const auditRecords = async (...args: string[]): Promise<Record<string, unknown>[]> => {
    const out = await cli(['audit', 'query', '--config', replica('A').config, '--format', 'json', '--limit', '100000', ...args]);
    assert.equal(out.code, 0, out.stderr);
    return out.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  };

  async function startClient(name: string, credential: string): Promise<void> {
    const config = join(dir, `${name.split('@')[0]}.yaml`);
    writeFileSync(config, stringify({ credentials: credential, listen: '127.0.0.1:0' }));
    const program = await launch(['client', '--config', config], { logFile: join(dir, 'logs', `${name.split('@')[0]}.log`) });
    programs.push(program);
    clientPorts.set(name, Number(program.ready['port']));
  }

  async function createIdentity(name: string, role: 'agent' | 'client', via: Replica): Promise<string> {
    const out = join(dir, `${name.split('@')[0]}.json`);
    const created = await cli(['identity', 'create', '--config', via.config, '--name', name, '--role', role, '--server', `127.0.0.1:${via.port}`, '--out', out]);
    assert.equal(created.code, 0, created.stderr);
    return out;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'causeway-pg-replicas-'));
    mkdirSync(join(dir, 'logs'));
    postgres = await startPostgres();
    storeUrl = await postgres.createDatabase('causeway');
    echo = await listenTcp((socket) => socket.pipe(socket));
    echoTarget = `127.0.0.1:${echo.port}`;
    // The replicas share the CA material; everything else they share lives in PostgreSQL.
    const dataDir = join(dir, 'data');
    await initCa(join(dataDir, 'ca'), { trustDomain: DOMAIN });
    const configs = await writeReplicaConfigs(dir, ['A', 'B'] as const, {
      dataDir,
      acl: [{ clients: [`*@clients.${DOMAIN}`], agents: [AGENT] }],
      extra: { store: storeUrl, storePasswordFile: postgres.passwordFile },
    });
    // Both start at once on an empty database: the schema migration must run once, under its lock.
    const started = await Promise.all(configs.map((c) => launch(['server', '--config', c.config], { logFile: join(dir, 'logs', `${c.id}.log`) })));
    configs.forEach((c, i) => {
      programs.push(started[i]!);
      replicas.push({ ...c, program: started[i]! });
    });
    assert.match(String(started[0]!.ready['store']), /^postgres:\/\/causeway@127\.0\.0\.1:\d+\/causeway$/, 'the ready line names the store, without a password');

    const agentCredential = await createIdentity(AGENT, 'agent', replica('A'));
    writeFileSync(
      join(dir, 'agent.yaml'),
      stringify({
        credentials: agentCredential,
        admin: '127.0.0.1:0',
        servers: replicas.map((r) => `127.0.0.1:${r.port}`),
        allow: [{ host: '127.0.0.1', ports: [echo.port] }],
      }),
    );
    // Identities made through either replica's config land in the one shared registry.
    const [a, b, victim] = await Promise.all([
      createIdentity(CLIENT_A, 'client', replica('A')),
      createIdentity(CLIENT_B, 'client', replica('B')),
      createIdentity(VICTIM, 'client', replica('B')),
    ]);
    const agent = await launch(['agent', '--config', join(dir, 'agent.yaml')], { logFile: join(dir, 'logs', 'agent.log') });
    programs.push(agent);
    await pollUntil(() => agent.logs.filter((l) => l['msg'] === 'registered with the server').length >= 2, 20_000, 'the agent on both replicas');
    await Promise.all([startClient(CLIENT_A, a), startClient(CLIENT_B, b), startClient(VICTIM, victim)]);
  });

  after(async () => {
    for (const t of tunnels) t.close();
    await Promise.all(programs.map((p) => p.stop()));
    await postgres?.close();
    await echo?.close();
    if (Object.keys(figures).length) console.log(`# figures: ${JSON.stringify(figures)}`);
    if (!process.env['CAUSEWAY_KEEP_TEST_DIRS']) rmSync(dir, { recursive: true, force: true });
  });

  test('an identity disabled through replica A is refused by replica B within 2 s, and its live tunnel on B ends', async () => {
    const victim = await openTunnel(VICTIM);
    await victim.roundTrip();
    const bystander = await openTunnel(CLIENT_B);
    await bystander.roundTrip();
    assert.ok((await statusOf(replica('B'))).tunnels.some((t) => t.client === VICTIM), 'the victim tunnel rides on replica B');
    assert.ok(!(await statusOf(replica('A'))).tunnels.some((t) => t.client === VICTIM), 'and not on replica A');

    const issued = Date.now();
    const disabled = await cli(['identity', 'disable', '--config', replica('A').config, '--name', VICTIM]);
    const committed = Date.now();
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.match(disabled.stdout, /is now disabled/);
    await Promise.race([
      victim.closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the tunnel on replica B outlived the limit')), PROPAGATION_LIMIT_MS + 1000)),
    ]);
    // The command stamps the row just before its transaction commits; measure from there (the command's
    // own exit comes later, after it closes its connection), and, more loosely, from the command's start.
    const changedAt = Date.parse(await psql(`SELECT updated_at FROM identities WHERE name = '${VICTIM}'`));
    const propagation = victim.closedAt! - changedAt;
    figures['disablePropagationMs'] = propagation;
    figures['disableCommandStartToTunnelEndMs'] = victim.closedAt! - issued;
    figures['disableCommandExitToTunnelEndMs'] = victim.closedAt! - committed;
    assert.ok(propagation < PROPAGATION_LIMIT_MS, `live tunnel on B ended ${propagation} ms after the disable committed`);

    // A new stream of the disabled identity is refused at B (its certificate is still valid).
    await assert.rejects(openTunnel(VICTIM), (err: unknown) => err instanceof ProxyRefusal && /^HTTP\/1\.1 403/.test(err.statusLine) && /disabled/i.test(err.body));
    // Nobody else was touched.
    await bystander.roundTrip();
  });

  test('a JWT used to get a certificate at replica A is refused at replica B', async () => {
    const credential = JSON.parse(readFileSync(join(dir, 'pg-client-a.json'), 'utf8')) as CredentialFile;
    const request = await issuanceRequest(credential);
    const first = await rawCall(replica('A').port, credential.caBundle, ISSUE, request);
    assert.equal(first.status, GrpcStatus.OK, first.message);
    const replayed = await rawCall(replica('B').port, credential.caBundle, ISSUE, request);
    assert.equal(replayed.status, GrpcStatus.UNAUTHENTICATED);
    assert.match(replayed.message, /already been used/);
    // And at A itself, of course.
    assert.equal((await rawCall(replica('A').port, credential.caBundle, ISSUE, request)).status, GrpcStatus.UNAUTHENTICATED);
  });

  test('audit query shows one log with the events of both replicas, each in its own chain', async () => {
    let records: Record<string, unknown>[] = [];
    await pollUntil(
      async () => {
        records = await auditRecords();
        return records.some((r) => r['type'] === 'deny' && r['identity'] === VICTIM && String(r['chain']).startsWith('B/'));
      },
      10_000,
      "replica B's deny of the disabled identity in the shared audit log",
    );
    const chains = new Set(records.map((r) => String(r['chain']).split('/')[0]));
    assert.deepEqual([...chains].sort(), ['A', 'B']);
    const issuedBy = (identity: string): string[] =>
      records.filter((r) => r['type'] === 'certificate.issued' && r['identity'] === identity).map((r) => String(r['chain']).split('/')[0]!);
    assert.ok(issuedBy(CLIENT_A).includes('A'), 'client A got its certificate from replica A');
    assert.ok(issuedBy(CLIENT_B).includes('B'), 'client B got its certificate from replica B');
    assert.ok(records.some((r) => r['type'] === 'token.rejected' && String(r['chain']).startsWith('B/')), "replica B's refusal of the replayed JWT");
    // The same through --store with the password file, and filtered by identity.
    const direct = await cli(['audit', 'query', '--store', storeUrl, '--store-password-file', postgres.passwordFile, '--identity', VICTIM, '--format', 'json']);
    assert.equal(direct.code, 0, direct.stderr);
    const victimRecords = direct.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(victimRecords.length > 0);
    assert.ok(victimRecords.every((r) => JSON.stringify(r).includes(VICTIM)));
  });

  test('audit verify passes, fails naming the record after a row is edited in the database, and passes once it is restored', async () => {
    const ok = await cli(['audit', 'verify', '--config', replica('B').config]);
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    assert.match(ok.stdout, /audit chain intact: \d+ records in \d+ chains/);

    const id = await psql(`SELECT min(id) FROM audit WHERE type = 'certificate.issued' AND body LIKE '%${CLIENT_B}%'`);
    const original = await psql(`SELECT body FROM audit WHERE id = ${id}`);
    await psql(`UPDATE audit SET body = replace(body, '${CLIENT_B}', 'someone-else@clients.${DOMAIN}') WHERE id = ${id}`);
    const tampered = await cli(['audit', 'verify', '--store', storeUrl, '--store-password-file', postgres.passwordFile]);
    assert.notEqual(tampered.code, 0, 'verify must fail after an edit');
    assert.match(tampered.stdout + tampered.stderr, new RegExp(`modified.*${id}|${id}.*modified`, 's'));

    await psql(`UPDATE audit SET body = '${original.replace(/'/g, "''")}' WHERE id = ${id}`);
    assert.equal((await cli(['audit', 'verify', '--config', replica('A').config])).code, 0);
  });

  test('a 10 s database outage: open tunnels keep flowing, new ones fail with a clear error, all works within 5 s of its return', async () => {
    const onA = await openTunnel(CLIENT_A);
    const onB = await openTunnel(CLIENT_B);
    await Promise.all([onA.roundTrip(), onB.roundTrip()]);
    const credential = JSON.parse(readFileSync(join(dir, 'pg-client-b.json'), 'utf8')) as CredentialFile;

    await postgres.stop();
    const stoppedAt = Date.now();
    // Each replica notices (its 1 s check fails) and says so in its metrics.
    for (const r of replicas) {
      await pollUntil(async () => metric(await getText(adminPort(r), '/metrics'), 'causeway_store_up') === 0, 5000, `causeway_store_up 0 on ${r.id}`);
    }
    let refusedStreams = 0;
    while (Date.now() - stoppedAt < OUTAGE_MS) {
      await Promise.all([onA.roundTrip(), onB.roundTrip()]);
      const refusal = await openTunnel(CLIENT_A).then(
        (t) => {
          t.close();
          return undefined;
        },
        (err: unknown) => err,
      );
      assert.ok(refusal instanceof ProxyRefusal, `a new tunnel during the outage must be refused, got ${String(refusal)}`);
      assert.match(refusal.statusLine, /^HTTP\/1\.1 503/);
      assert.match(refusal.body, /identity store \(PostgreSQL\) is unavailable/);
      refusedStreams++;
      const issuance = await rawCall(replica('B').port, credential.caBundle, ISSUE, await issuanceRequest(credential));
      assert.equal(issuance.status, GrpcStatus.UNAVAILABLE);
      assert.match(issuance.message, /identity store \(PostgreSQL\) is unavailable/);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    assert.ok(refusedStreams >= 5);

    await postgres.start();
    const backAt = Date.now();
    const recovered = async (check: () => Promise<boolean>): Promise<number> => {
      await pollUntil(check, RECOVERY_LIMIT_MS + 5000, 'recovery');
      return Date.now() - backAt;
    };
    const [tunnelA, tunnelB, issuance] = await Promise.all([
      recovered(async () => {
        (await openTunnel(CLIENT_A)).close();
        return true;
      }),
      recovered(async () => {
        (await openTunnel(CLIENT_B)).close();
        return true;
      }),
      recovered(async () => (await rawCall(replica('B').port, credential.caBundle, ISSUE, await issuanceRequest(credential))).status === GrpcStatus.OK),
    ]);
    figures['recoveryNewTunnelOnAMs'] = tunnelA;
    figures['recoveryNewTunnelOnBMs'] = tunnelB;
    figures['recoveryIssuanceOnBMs'] = issuance;
    for (const [what, ms] of Object.entries({ tunnelA, tunnelB, issuance })) assert.ok(ms < RECOVERY_LIMIT_MS, `${what} worked again ${ms} ms after the database returned`);
    // The tunnels opened before the outage never noticed.
    await Promise.all([onA.roundTrip(), onB.roundTrip()]);
    assert.equal(onA.closedAt, undefined);
    assert.equal(onB.closedAt, undefined);

    // What was audited during the outage was buffered and written once the database returned.
    await pollUntil(
      async () => (await auditRecords('--type', 'token.rejected')).some((r) => r['code'] === 'ERR_REGISTRY_UNAVAILABLE' && String(r['chain']).startsWith('B/')),
      10_000,
      'the outage-time refusals in the audit log',
    );
    for (const r of replicas) {
      const text = await getText(adminPort(r), '/metrics');
      assert.equal(metric(text, 'causeway_store_up'), 1, `store up again on ${r.id}`);
      assert.equal(metric(text, 'causeway_audit_dropped_records_total'), 0, `nothing dropped on ${r.id}`);
    }
    const verified = await cli(['audit', 'verify', '--config', replica('A').config]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });
});
