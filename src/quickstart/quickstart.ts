import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { createDemoRepository, startDemoGitHost, type DemoGitHost } from '../demo/git-host.js';
import { initCa } from '../pki/ca.js';
import { createStandaloneCa } from '../pki/standalone-ca.js';
import { createIdentity } from '../registry/create-identity.js';
import { launch, type LaunchedProgram } from './launch.js';

const execFileAsync = promisify(execFile);

export const DEMO_HOST = 'git.demo.internal';
export const TRUST_DOMAIN = 'demo.causeway';
export const AGENT_ID = 'demo-agent@agents.demo.causeway';
export const CLIENT_ID = 'demo-client@clients.demo.causeway';

export interface QuickstartEnvironment {
  dir: string;
  server: LaunchedProgram;
  agent: LaunchedProgram;
  client: LaunchedProgram;
  gitHost: DemoGitHost;
  proxyUrl: string;
  repoUrl: string;
  demoCaFile: string;
  stop(): Promise<void>;
}

/**
 * Builds a complete tunnel on this machine: a CA and identities, server, agent and client as real
 * processes, and a private code host (git over HTTPS, certificate from its own CA) that only the agent
 * can resolve and that only the agent's allowlist names.
 */
export async function setUpQuickstart(dirOption: string | undefined, say: (line: string) => void): Promise<QuickstartEnvironment> {
  const dir = resolve(dirOption ?? mkdtempSync(join(tmpdir(), 'causeway-quickstart-')));
  mkdirSync(dir, { recursive: true });
  const dataDir = join(dir, 'server-data');
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  say(`working directory: ${dir}`);

  await initCa(join(dataDir, 'ca'), { trustDomain: TRUST_DOMAIN });
  say(`1. created the trust domain ${TRUST_DOMAIN}: root and intermediate CA in ${join(dataDir, 'ca')}`);

  const demoRoot = join(dir, 'private-network');
  mkdirSync(demoRoot, { recursive: true });
  createDemoRepository(demoRoot, 'demo', '# Hello from the private network\n\nThis repository was cloned through a Causeway tunnel.\n');
  const demoCa = await createStandaloneCa('Acme Internal Demo CA');
  const demoCaFile = join(dir, 'demo-internal-ca.crt');
  writeFileSync(demoCaFile, demoCa.certPem);
  const hostCert = await demoCa.issueServerCert([DEMO_HOST], []);
  const gitHost = await startDemoGitHost({ projectRoot: demoRoot, certPem: hostCert.certPem, keyPem: hostCert.keyPem, host: '127.0.0.1', port: 0 });
  say(`2. started the private code host https://${DEMO_HOST}:${gitHost.port} (git http-backend, certificate from a separate internal CA)`);

  const serverConfig = join(dir, 'server.yaml');
  writeFileSync(
    serverConfig,
    stringify({
      listen: '127.0.0.1:0',
      admin: '127.0.0.1:0',
      dataDir: './server-data',
      serverNames: ['localhost', '127.0.0.1'],
      acl: [{ clients: [CLIENT_ID], agents: [AGENT_ID] }],
    }),
  );
  const started: LaunchedProgram[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((p) => p.stop()));
    await gitHost.close();
  };
  try {
    const server = await launch(['server', '--config', serverConfig], { logFile: join(logs, 'server.log') });
    started.push(server);
    const serverAddress = `127.0.0.1:${String(server.ready['port'])}`;
    say(`3. started the tunnel server on ${serverAddress} (admin http://127.0.0.1:${String(server.ready['adminPort'])}/status)`);

    await createIdentity({ dataDir, name: AGENT_ID, role: 'agent', server: serverAddress, serverName: 'localhost', out: join(dir, 'agent-credential.json') });
    await createIdentity({ dataDir, name: CLIENT_ID, role: 'client', server: serverAddress, serverName: 'localhost', out: join(dir, 'client-credential.json') });
    say(`4. registered identities ${AGENT_ID} and ${CLIENT_ID} (credential files written with mode 0600)`);

    const agentConfig = join(dir, 'agent.yaml');
    writeFileSync(
      agentConfig,
      stringify({
        credentials: './agent-credential.json',
        admin: '127.0.0.1:0',
        allow: [{ host: DEMO_HOST, ports: [gitHost.port], allowLoopback: true }],
        dns: { hosts: { [DEMO_HOST]: '127.0.0.1' } },
      }),
    );
    const agent = await launch(['agent', '--config', agentConfig], { logFile: join(logs, 'agent.log') });
    started.push(agent);
    await agent.waitForLog((line) => line['msg'] === 'registered with the server', 20_000);
    say(`5. started the agent; it dialled out, got a certificate and registered (allowlist: ${DEMO_HOST}:${gitHost.port} only)`);

    const clientConfig = join(dir, 'client.yaml');
    writeFileSync(clientConfig, stringify({ credentials: './client-credential.json', listen: '127.0.0.1:0', admin: '127.0.0.1:0' }));
    const client = await launch(['client', '--config', clientConfig], { logFile: join(logs, 'client.log') });
    started.push(client);
    const proxyUrl = `http://127.0.0.1:${String(client.ready['port'])}`;
    say(`6. started the client proxy on ${proxyUrl}`);

    return {
      dir,
      server,
      agent,
      client,
      gitHost,
      proxyUrl,
      repoUrl: `https://${DEMO_HOST}:${gitHost.port}/demo.git`,
      demoCaFile,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Environment for a tool that should use the tunnel: the proxy, the demo CA, and nothing that bypasses them. */
export function proxiedEnv(env: QuickstartEnvironment, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...base, https_proxy: env.proxyUrl, HTTPS_PROXY: env.proxyUrl, GIT_SSL_CAINFO: env.demoCaFile };
  delete out['no_proxy'];
  delete out['NO_PROXY'];
  out['GIT_TERMINAL_PROMPT'] = '0';
  return out;
}

/** Clones the demo repository through the tunnel with real git; returns the README it got. */
export async function cloneThroughTunnel(env: QuickstartEnvironment, into: string, base: NodeJS.ProcessEnv): Promise<string> {
  await execFileAsync('git', ['clone', '-q', env.repoUrl, into], { env: proxiedEnv(env, base), timeout: 60_000 });
  return readFileSync(join(into, 'README.md'), 'utf8');
}
