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
  /** Environment for every program (e.g. NODE_OPTIONS). */
  env?: NodeJS.ProcessEnv;
  /** Leave out the default "client → agent, any destination" ACL rule. */
  noDefaultAcl?: boolean;
  /** Extra `dns:` settings of the first agent (e.g. `servers`). */
  agentDns?: Record<string, unknown>;
  /** Extra top-level config of the first agent and client (e.g. `limits`). */
  agentConfig?: Record<string, unknown>;
  clientConfig?: Record<string, unknown>;
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

  private env: NodeJS.ProcessEnv | undefined;

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
    this.env = options.env;
    await initCa(join(this.dataDir, 'ca'), { trustDomain: TRUST_DOMAIN });
    const serverYaml = join(this.dir, 'server.yaml');
    writeFileSync(
      serverYaml,
      stringify({
        listen: '127.0.0.1:0',
        admin: '127.0.0.1:0',
        dataDir: './server-data',
        serverNames: ['localhost', '127.0.0.1'],
        acl: [...(options.noDefaultAcl ? [] : [{ clients: [CLIENT], agents: [AGENT] }]), ...(options.acl ?? [])],
        ...(options.server ?? {}),
      }),
    );
    this.server = await this.launch('server', serverYaml);
    this.serverAddress = `127.0.0.1:${this.serverPort}`;
    await this.createCredential(AGENT, 'agent');
    await this.createCredential(CLIENT, 'client');
    this.agent = await this.startAgent(AGENT, options.allow, options.hosts ?? {}, options.agentDns, options.agentConfig);
    this.client = await this.startClient(CLIENT, options.clientConfig);
  }

  /** Registers an identity and writes its credential file; returns the file. */
  async createCredential(name: string, role: 'agent' | 'client'): Promise<string> {
    const out = join(this.dir, `${name.split('@')[0]}.json`);
    await createIdentity({ dataDir: this.dataDir, name, role, server: this.serverAddress, serverName: 'localhost', out });
    return out;
  }

  /** The config file of the server, or of the (first) agent or client named `name`. */
  configFile(name: 'server' | string): string {
    return join(this.dir, name === 'server' ? 'server.yaml' : `${name.split('@')[0]}.yaml`);
  }

  /** Starts an agent; a second agent of the same identity gets its own config file. */
  async startAgent(
    name: string,
    allow: AllowEntryInput[],
    hosts: Record<string, string>,
    dns: Record<string, unknown> = {},
    extra: Record<string, unknown> = {},
  ): Promise<LaunchedProgram> {
    const first = this.configFile(name);
    const file = existsSync(first) ? join(this.dir, `${name.split('@')[0]}-${this.programs.length}.yaml`) : first;
    writeFileSync(
      file,
      stringify({ credentials: `./${name.split('@')[0]}.json`, admin: '127.0.0.1:0', allow, dns: { hosts, ...dns }, ...extra }),
    );
    const agent = await this.launch('agent', file);
    await agent.waitForLog((line) => line['msg'] === 'registered with the server', 20_000);
    return agent;
  }

  /** Starts a client for `name`; `extra` adds client.yaml fields (auth, forwards, limits…). */
  async startClient(name: string, extra: Record<string, unknown> = {}, configName = name.split('@')[0]!): Promise<LaunchedProgram> {
    const file = this.clientConfigPath(configName);
    writeFileSync(file, stringify({ credentials: `./${name.split('@')[0]}.json`, listen: '127.0.0.1:0', admin: '127.0.0.1:0', ...extra }));
    return this.launch('client', file);
  }

  /** Stops the server and starts it again on the same port with the same data directory. */
  async restartServer(beforeStart?: () => Promise<void>): Promise<LaunchedProgram> {
    const port = this.serverPort;
    await this.server.stop();
    if (beforeStart) await beforeStart();
    const serverYaml = join(this.dir, 'server.yaml');
    const config = parse(readFileSync(serverYaml, 'utf8')) as Record<string, unknown>;
    writeFileSync(serverYaml, stringify({ ...config, listen: `127.0.0.1:${port}` }));
    this.server = await this.launch('server', serverYaml);
    return this.server;
  }

  /** Where {@link startClient} writes the config called `configName`. */
  clientConfigPath(configName = CLIENT.split('@')[0]!): string {
    return join(this.dir, `${configName}.yaml`);
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
      ...(this.env ? { env: this.env } : {}),
    });
    this.programs.push(launched);
    return launched;
  }

  async stop(): Promise<void> {
    await Promise.all(this.programs.map((p) => p.stop()));
    if (!process.env['CAUSEWAY_KEEP_TEST_DIRS']) rmSync(this.dir, { recursive: true, force: true });
  }
}
