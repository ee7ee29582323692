import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { writeNewFile } from '../config/write-new-file.js';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { agentConfigSchema } from '../config/agent.js';
import type { ResolvedStore } from '../config/store.js';
import { validateConfig } from '../config/validate.js';
import { loadCaPublic } from '../pki/ca.js';
import { createIdentity } from '../registry/create-identity.js';
import { renderBundle, type BundleSpec, type RenderedBundle } from './render.js';

/** The files a bundle writes, in the order they are written; none is ever overwritten. */
export const BUNDLE_FILES = Object.freeze({
  credential: 'agent.json',
  config: 'agent.yaml',
  kubernetes: 'kubernetes.yaml',
  install: 'INSTALL.md',
});

/** What {@link writeBundle} needs beyond the rendered contents. */
export interface WriteBundleOptions {
  /** The server's data directory (its CA and identity registry). */
  readonly dataDir: string;
  /** Where the files go; created (mode 0700) when missing. */
  readonly outDir: string;
  /** The agent's name: a bare name becomes `NAME@agents.<trust domain>`. */
  readonly name: string;
  /** Name in the server's certificate. */
  readonly serverName: string;
  /** Source networks the identity may connect from; empty for any. */
  readonly cidrs: readonly string[];
  /** The registry the servers read; default the SQLite file in dataDir. */
  readonly store?: ResolvedStore | undefined;
  /** Everything of the {@link BundleSpec} the data directory does not decide. */
  readonly spec: Omit<BundleSpec, 'identity' | 'trustDomain'>;
}

/**
 * The identity a `--name` stands for in a trust domain: a bare name gets `@agents.<trust domain>`; a full
 * name must already be in that form, since anything else (`x@clients.…`, another trust domain) matches
 * no agent pattern in the ACL and would only be found out when clients are refused.
 *
 * @throws Error naming the form it expects.
 */
export function agentIdentityName(name: string, trustDomain: string): string {
  if (!name.includes('@')) return `${name}@agents.${trustDomain}`;
  const suffix = `@agents.${trustDomain}`;
  if (!name.endsWith(suffix) || name.length === suffix.length) {
    throw new Error(`--name ${name}: an agent of this server is named NAME${suffix}; give that form or just the bare NAME`);
  }
  return name;
}

/**
 * Creates the agent's identity in the server's registry and writes the bundle: agent.json (0600, the
 * only copy of the key), agent.yaml, kubernetes.yaml (0600: its Secret holds the key) and INSTALL.md.
 * It refuses before changing anything when one of the files already exists; the rendered configs are
 * validated against the agent's schema before the identity is created.
 */
export async function writeBundle(options: WriteBundleOptions): Promise<{ identity: string; trustDomain: string; keyId: string; files: string[]; rendered: RenderedBundle }> {
  const outDir = resolve(options.outDir);
  const paths = Object.values(BUNDLE_FILES).map((file) => join(outDir, file));
  const existing = paths.filter(exists);
  if (existing.length > 0) {
    throw new Error(`${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; refusing to overwrite (choose an empty --out directory)`);
  }
  const { trustDomain } = await loadCaPublic(join(options.dataDir, 'ca')).catch((err: unknown) => {
    const e = err as Error & { code?: string };
    if (e.code === 'ERR_CA_MISSING') e.message += ` (--data-dir must be the server's data directory, where 'causeway ca init' ran)`;
    throw e;
  });
  const spec: BundleSpec = { ...options.spec, identity: agentIdentityName(options.name, trustDomain), trustDomain };
  // Render once with a stand-in credential to catch a config the agent would refuse, before anything is created.
  checkRendered(renderBundle(spec, '{}', 'x'));
  mkdirSync(outDir, { recursive: true, mode: 0o700 });

  const credentialPath = join(outDir, BUNDLE_FILES.credential);
  const { keyId } = await createIdentity({
    dataDir: options.dataDir,
    name: spec.identity,
    role: 'agent',
    server: spec.server,
    serverName: options.serverName,
    out: credentialPath,
    cidrs: options.cidrs,
    store: options.store,
  });
  const rendered = renderBundle(spec, readFileSync(credentialPath, 'utf8'), randomBytes(32).toString('base64url'));
  try {
    writeNew(join(outDir, BUNDLE_FILES.config), rendered.agentYaml, 0o644);
    writeNew(join(outDir, BUNDLE_FILES.kubernetes), rendered.kubernetesYaml, 0o600);
    writeNew(join(outDir, BUNDLE_FILES.install), rendered.installMd, 0o644);
  } catch (err) {
    throw new Error(`identity ${spec.identity} is registered and ${credentialPath} written, but the bundle is incomplete: ${(err as Error).message}`);
  }
  return { identity: spec.identity, trustDomain, keyId, files: paths, rendered };
}

/** Throws when a rendered config would not load in the agent, or the manifest is not YAML. */
export function checkRendered(rendered: RenderedBundle): void {
  validateConfig(parse(rendered.agentYaml) as unknown, agentConfigSchema, BUNDLE_FILES.config, '/bundle');
  validateConfig(parse(rendered.kubernetesAgentYaml) as unknown, agentConfigSchema, `${BUNDLE_FILES.kubernetes} (ConfigMap agent.yaml)`, '/bundle');
  for (const doc of parseAllDocuments(rendered.kubernetesYaml)) {
    if (doc.errors.length > 0) throw new Error(`${BUNDLE_FILES.kubernetes} does not parse: ${doc.errors[0]!.message}`);
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function writeNew(path: string, text: string, mode: number): void {
  try {
    writeNewFile(path, text, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${path} already exists; refusing to overwrite it`);
    throw err;
  }
}
