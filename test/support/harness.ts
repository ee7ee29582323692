import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { initCa } from '../../src/pki/ca.js';
import { launch, type LaunchedProgram } from '../../src/quickstart/launch.js';
import { createIdentity } from '../../src/registry/create-identity.js';

export const TRUST_DOMAIN = 'test.causeway';

export interface AllowEntryInput {
  host: string;
  ports: (number | string)[];
  allowLoopback?: boolean;
}

export interface TunnelOptions {
  /** Agent allowlist entries. */
  allow: AllowEntryInput[];
  /** Static name → IP answers for the agent. */
  hosts?: Record<string, string>;
  /** Extra ACL rules beyond "client → agent". */
  acl?: { clients: string[]; agents: string[]; destinations?: string[] }[];
  /** Server config overrides. */
  server?: Record<string, unknown>;
}

export const AGENT = 'agent-1@agents.test.causeway';
export const CLIENT = 'client-1@clients.test.causeway';

/** A whole tunnel made of real processes on loopback ports picked by the OS. */
export class TestTunnel {
  readonly programs: LaunchedProgram[] = [];
  server!: LaunchedProgram;
  agent!: LaunchedProgram;
  client!: LaunchedProgram;
  serverAddress = '';

  private constructor(readonly dir: string) {}

  get dataDir(): string {
    return join(this.dir, 'server-data');
  }

  get proxyPort(): number {
    return Number(this.client.ready['port']);
  }

  get serverPort(): number {
    return Number(this.server.ready['port']);
  }

  get serverAdminPort(): number {
    return Number(this.server.ready['adminPort']);
  }

  static async start(options: TunnelOptions): Promise<TestTunnel> {
    const tunnel = new TestTunnel(mkdtempSync(join(tmpdir(), 'causeway-e2e-')));
    try {
      await tunnel.boot(options);
      return tunnel;
    } catch (err) {
      await tunnel.stop();
      throw err;
    }
  }

  private async boot(options: TunnelOptions): Promise<void> {
    await initCa(join(this.dataDir, 'ca'), { trustDomain: TRUST_DOMAIN });
    const serverYaml = join(this.dir, 'server.yaml');
    writeFileSync(
      serverYaml,
      stringify({
        listen: '127.0.0.1:0',
        admin: '127.0.0.1:0',
        dataDir: './server-data',
        serverNames: ['localhost', '127.0.0.1'],
        acl: [{ clients: [CLIENT], agents: [AGENT] }, ...(options.acl ?? [])],
        ...(options.server ?? {}),
      }),
    );
    this.server = await this.launch('server', serverYaml);
    this.serverAddress = `127.0.0.1:${this.serverPort}`;
    await this.createCredential(AGENT, 'agent');
    await this.createCredential(CLIENT, 'client');
    this.agent = await this.startAgent(AGENT, options.allow, options.hosts ?? {});
    this.client = await this.startClient(CLIENT);
  }

  /** Registers an identity and writes its credential file; returns the file. */
  async createCredential(name: string, role: 'agent' | 'client'): Promise<string> {
    const out = join(this.dir, `${name.split('@')[0]}.json`);
    await createIdentity({ dataDir: this.dataDir, name, role, server: this.serverAddress, serverName: 'localhost', out });
    return out;
  }

  async startAgent(name: string, allow: AllowEntryInput[], hosts: Record<string, string>): Promise<LaunchedProgram> {
    const file = join(this.dir, `${name.split('@')[0]}.yaml`);
    writeFileSync(
      file,
      stringify({ credentials: `./${name.split('@')[0]}.json`, admin: '127.0.0.1:0', allow, dns: { hosts } }),
    );
    const agent = await this.launch('agent', file);
    await agent.waitForLog((line) => line['msg'] === 'registered with the server', 20_000);
    return agent;
  }

  /** Starts a client with `<base>.json` as its credential file (`base` defaults to the name's local part). */
  async startClient(name: string, base = name.split('@')[0]!): Promise<LaunchedProgram> {
    const file = join(this.dir, `${base}.yaml`);
    writeFileSync(file, stringify({ credentials: `./${base}.json`, listen: '127.0.0.1:0', admin: '127.0.0.1:0' }));
    return this.launch('client', file);
  }

  /** Stops the server and starts it again on the same port with the same data directory. */
  async restartServer(): Promise<LaunchedProgram> {
    const port = this.serverPort;
    await this.server.stop();
    const serverYaml = join(this.dir, 'server.yaml');
    const config = parse(readFileSync(serverYaml, 'utf8')) as Record<string, unknown>;
    writeFileSync(serverYaml, stringify({ ...config, listen: `127.0.0.1:${port}` }));
    this.server = await this.launch('server', serverYaml);
    return this.server;
  }

  /** Every audit record the server has written so far. */
  auditRecords(): Record<string, unknown>[] {
    const file = join(this.dataDir, 'audit.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  private async launch(program: string, config: string): Promise<LaunchedProgram> {
    mkdirSync(join(this.dir, 'logs'), { recursive: true });
    const launched = await launch([program, '--config', config], {
      logFile: join(this.dir, 'logs', `${program}-${this.programs.length}.log`),
    });
    this.programs.push(launched);
    return launched;
  }

  async stop(): Promise<void> {
    await Promise.all(this.programs.map((p) => p.stop()));
    if (!process.env['CAUSEWAY_KEEP_TEST_DIRS']) rmSync(this.dir, { recursive: true, force: true });
  }
}
