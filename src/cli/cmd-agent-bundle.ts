import { parseAddress, formatAddress } from '../config/address.js';
import { mergeAllowEntries, parseAllowFlag, type AllowFlagEntry } from '../config/allow-flag.js';
import { parseProxyUrl } from '../config/proxy.js';
import { dnsServerSchema } from '../config/host.js';
import { TARGET_CERT_KINDS, certificateNote, type TargetCertKind } from '../bundle/render.js';
import { BUNDLE_FILES, writeBundle } from '../bundle/write-bundle.js';
import { formatHostPort } from '../policy/host.js';
import { parseNoProxyEntry } from '../policy/no-proxy.js';
import { VERSION } from '../version.js';
import { isIdentityName, parseCidrFlags } from './cmd-identity.js';
import { UsageError } from './usage.js';
import { parseCommandLine } from './args.js';
import { SERVER_STORE_OPTIONS, serverStoreFromFlags } from './server-store-flags.js';

export const AGENT_BUNDLE_HELP = `Usage: causeway agent-bundle --name NAME --server HOST:PORT --allow HOST:PORT[,PORT...] [--allow ...] --out DIR [options]

Onboards one customer network in one step, on the server host: creates the agent's identity in the
server's registry (like 'identity create --role agent') and writes into DIR everything the customer
installs unchanged:

  agent.json       the credential: the agent's private key (only copy) and the server's CA; mode 0600
  agent.yaml       server address, allowlist, admin listener, credentials: ./agent.json
  kubernetes.yaml  ConfigMap causeway-agent-config, Secret causeway-agent-credentials (holds agent.json;
                   mode 0600) and Deployment causeway-agent with 2 replicas
  INSTALL.md       the egress rule to open, the docker run line, systemd steps, the Kubernetes steps
                   and what the cloud workloads must trust of the targets' certificates

An existing file in DIR is never overwritten: the command refuses before it registers anything.

Example:
  causeway agent-bundle --data-dir ./data --name acme-onprem --server tunnel.example.com:8443 \\
      --allow gitlab.internal.acme.net:443,22 --allow artifactory.internal.acme.net:443 \\
      --target-certs internal-pki --out ./acme-onprem

Required:
  --name NAME          the agent identity; a bare name becomes NAME@agents.<trust domain of the CA>
  --server HOST:PORT   the server's address as the customer's network reaches it (the egress rule)
  --allow HOST:PORTS   a host the agent may dial and its ports, repeatable: gitlab.internal.acme.net:443,22,
                       "*.build.acme.net:443" (one label), "**.acme.net:443", 10.20.0.0/16:8000-8100,
                       [fd00::5]:22
  --out DIR            where to write the bundle (created when missing)

Options:
  --data-dir DIR       the server's data directory (default ./data)
  --config FILE        a server config (server.yaml): its dataDir, store and storePasswordFile (instead of
                       --data-dir)
  --store URL          the registry the servers read: sqlite (default, DATA/identities.db) or
                       postgres://user@host:port/db when replicas share PostgreSQL (also CAUSEWAY_STORE_URL)
  --store-password-file FILE   the PostgreSQL password (also CAUSEWAY_STORE_PASSWORD_FILE)
  --server-name NAME   the name in the server's certificate (default: the host of --server); it must be
                       one of the server's serverNames
  --cidr CIDR          source networks the agent may connect from (repeatable; default any)
  --admin HOST:PORT    the agent's admin listener in agent.yaml (default 127.0.0.1:9090; the Docker
                       health check asks 9090). Kubernetes always uses 0.0.0.0:9090 with a bearer token.
  --dns-server ADDR    a resolver for the private names (repeatable, "10.0.0.53" or "10.0.0.53:5353");
                       default: the agent host's resolver
  --allow-loopback     let the names resolve to the agent's own host (targets on the same machine)
  --proxy URL          the customer's HTTP proxy to the server ("http://proxy.corp:3128"); without user
                       or password: INSTALL.md says how to add Basic auth from files
  --no-proxy LIST      server addresses reached without the proxy (comma-separated, NO_PROXY syntax)
  --target-certs KIND  the targets' certificates: public, internal-pki or self-signed (repeatable);
                       decides the certificate note in INSTALL.md
  --help               this text

Afterwards, give a client access to the agent with an acl rule in server.yaml (the command prints it).`;

const MAX_ALLOW_FLAGS = 256;

export async function agentBundleCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine({
    args: argv,
    options: {
      ...SERVER_STORE_OPTIONS,
      name: { type: 'string' },
      server: { type: 'string' },
      'server-name': { type: 'string' },
      allow: { type: 'string', multiple: true },
      out: { type: 'string' },
      cidr: { type: 'string', multiple: true },
      admin: { type: 'string', default: '127.0.0.1:9090' },
      'dns-server': { type: 'string', multiple: true },
      'allow-loopback': { type: 'boolean', default: false },
      proxy: { type: 'string' },
      'no-proxy': { type: 'string' },
      'target-certs': { type: 'string', multiple: true },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${AGENT_BUNDLE_HELP}\n`);
    return 0;
  }
  const { config, store } = serverStoreFromFlags(values, 'agent-bundle');
  const options = { ...parseBundleFlags({ ...values, 'data-dir': values['data-dir'] ?? config?.dataDir ?? './data' }), store };
  const result = await writeBundle(options);
  const out = options.outDir;
  process.stdout.write(
    [
      `created agent identity ${result.identity} (key ${result.keyId}) and wrote the bundle to ${out}:`,
      ...Object.values(BUNDLE_FILES).map((file) => `  ${file}`),
      '',
      `Hand ${out} to the customer over a private channel: agent.json and kubernetes.yaml hold the only copy of the key.`,
      'To let clients use it, add a rule to acl: in server.yaml (reloaded live):',
      `  - clients: ["*@clients.${result.trustDomain}"]`,
      `    agents: [${result.identity}]`,
      '',
      certificateNote(options.spec),
      '',
    ].join('\n'),
  );
  return 0;
}

/** The flags of `agent-bundle` as parsed by parseArgs. */
export interface BundleFlags {
  'data-dir': string;
  name?: string | undefined;
  server?: string | undefined;
  'server-name'?: string | undefined;
  allow?: string[] | undefined;
  out?: string | undefined;
  cidr?: string[] | undefined;
  admin: string;
  'dns-server'?: string[] | undefined;
  'allow-loopback': boolean;
  proxy?: string | undefined;
  'no-proxy'?: string | undefined;
  'target-certs'?: string[] | undefined;
}

/** Checks every flag and turns them into {@link writeBundle} options; a bad one is a {@link UsageError}. */
export function parseBundleFlags(values: BundleFlags, createdAt = new Date()): Parameters<typeof writeBundle>[0] {
  const fail = (message: string): never => {
    throw new UsageError(message, 'agent-bundle');
  };
  const name = values.name ?? fail('--name is required (the agent identity, like acme-onprem)');
  if (!isIdentityName(name)) fail(`--name "${name}" is not an identity name like acme-onprem or acme-onprem@agents.acme.causeway`);
  if (values.server === undefined) fail('--server HOST:PORT is required (the server address the customer network dials)');
  const server = parseAddress(values.server!);
  if (!server.ok) fail(`--server: ${server.problem}`);
  const serverAddress = (server as Extract<typeof server, { ok: true }>).address;
  const serverName = values['server-name'] ?? serverAddress.host;
  const serverNameCheck = parseAddress(`${serverName.includes(':') ? `[${serverName}]` : serverName}:1`);
  if (!serverNameCheck.ok) fail(`--server-name "${serverName}" is not a host name or IP address`);
  const outDir = values.out ?? fail('--out DIR is required (where to write the bundle)');
  const allowFlags = values.allow ?? [];
  if (allowFlags.length === 0) fail('at least one --allow HOST:PORT[,PORT...] is required: the agent allows nothing by default');
  if (allowFlags.length > MAX_ALLOW_FLAGS) fail(`at most ${MAX_ALLOW_FLAGS} --allow flags`);
  const entries: AllowFlagEntry[] = allowFlags.map((text) => {
    const parsed = parseAllowFlag(text);
    return parsed.ok ? parsed.entry : fail(parsed.problem);
  });
  const admin = parseAddress(values.admin, { allowPortZero: true });
  if (!admin.ok) fail(`--admin: ${admin.problem}`);
  const dnsServers = (values['dns-server'] ?? []).map((text) => {
    const parsed = dnsServerSchema.safeParse(text);
    return parsed.success ? text : fail(`--dns-server "${text}" is not a resolver address like 10.0.0.53 or 10.0.0.53:5353`);
  });
  let proxy: { url: string; noProxy: string[] } | undefined;
  if (values.proxy !== undefined) {
    const parsed = parseProxyUrl(values.proxy);
    // The value is not echoed: it may hold a password.
    if (!parsed.ok) fail(`--proxy: ${parsed.problem}`);
    if (parsed.ok && (parsed.username !== undefined || parsed.password !== undefined)) {
      fail('--proxy must not hold user:password@: the bundle is handed around; put Basic-auth credentials in files (see INSTALL.md)');
    }
    const noProxy = (values['no-proxy'] ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
    for (const entry of noProxy) {
      const check = parseNoProxyEntry(entry);
      if (!check.ok) fail(`--no-proxy: ${check.problem}`);
    }
    // Written as parsed, never as typed: the URL parser drops tabs, newlines and control characters
    // around and inside the text, which INSTALL.md would otherwise carry into its prose and table.
    const { host, port } = parsed as Extract<typeof parsed, { ok: true }>;
    proxy = { url: `http://${formatHostPort(host, port)}`, noProxy };
  } else if (values['no-proxy'] !== undefined) {
    fail('--no-proxy needs --proxy');
  }
  const targetCerts = (values['target-certs'] ?? []).flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t !== '');
  for (const kind of targetCerts) {
    if (!(TARGET_CERT_KINDS as readonly string[]).includes(kind)) fail(`--target-certs "${kind}" is not one of ${TARGET_CERT_KINDS.join(', ')}`);
  }
  return {
    dataDir: values['data-dir'],
    outDir,
    name,
    serverName,
    cidrs: parseCidrFlags(values.cidr, fail),
    spec: {
      server: formatAddress(serverAddress),
      allow: mergeAllowEntries(entries),
      allowLoopback: values['allow-loopback'],
      dnsServers,
      admin: formatAddress((admin as Extract<typeof admin, { ok: true }>).address),
      proxy,
      targetCerts: [...new Set(targetCerts)] as TargetCertKind[],
      version: VERSION,
      createdAt: createdAt.toISOString(),
    },
  };
}
