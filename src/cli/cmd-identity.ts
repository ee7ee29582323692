import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { parseAddress } from '../config/address.js';
import { ALLOWED_TOKEN_ALGORITHMS, keyFitsAlgorithm } from '../auth/token-algorithms.js';
import { isRole } from '../pki/spiffe.js';
import { addIdentityKey, createIdentity } from '../registry/create-identity.js';
import type { IdentityRecord } from '../registry/identity-store.js';
import type { ResolvedStore } from '../config/store.js';
import type { IdentityStore } from '../registry/identity-store.js';
import { openIdentities } from '../store/open-stores.js';
import { canonicalCidr, MAX_CIDRS_PER_IDENTITY } from '../registry/source-cidr.js';
import { UsageError } from './usage.js';
import { parseCommandLine } from './args.js';
import { SERVER_STORE_OPTIONS, serverStoreFromFlags } from './server-store-flags.js';

export const IDENTITY_HELP = `Usage: causeway identity <create|list|show|disable|enable|add-key|remove-key|set-cidrs> [options]

  create      --name NAME --role agent|client --server HOST:PORT [--server-name NAME] --out FILE [--cidr CIDR ...]
              Makes a service-account key pair, records only its public key in DATA/identities.db and
              writes the party's credential file (identity, key id, private key, server address, CA bundle)
              with mode 0600. Hand that file to the agent or client; it is the only copy of the key.
  create      --name NAME --role client --federated [--cidr CIDR ...]
              a client with no key that proves itself with a workload token from a trusted OIDC issuer
  list        all identities with role, state, key ids and source networks
  show        --name NAME
  disable     --name NAME   refuses new certificates and streams; live tunnels end within seconds
  enable      --name NAME
  add-key     --name NAME --server HOST:PORT [--server-name NAME] --out FILE
              a new key (for key rotation) and a credential file for it; the old key keeps working
  add-key     --name NAME --public-jwk FILE
              registers a public key held elsewhere (EC P-256/P-384, Ed25519 or RSA >= 2048 bits)
  remove-key  --name NAME --key-id KID   refuses that key; tunnels of certificates it bought end within seconds
  set-cidrs   --name NAME [--cidr CIDR ...]   source networks for issuance and streams; none = any

Common options:
  --data-dir DIR   the server's data directory (default ./data; holds ca/ and, with SQLite, identities.db)
  --config FILE    a server config (server.yaml): its dataDir, store and storePasswordFile (instead of --data-dir)
  --store URL      the registry: sqlite (default, DATA/identities.db) or postgres://user@host:port/db, the
                   database server replicas share (also CAUSEWAY_STORE_URL)
  --store-password-file FILE   the PostgreSQL password (mode 0600; also CAUSEWAY_STORE_PASSWORD_FILE)

create and add-key:
  --server HOST:PORT   the server's address as the party reaches it; written into the credential
  --server-name NAME   the name the party checks in the server's certificate (default: the host of
                       --server); it must be one of the server's serverNames
  --out FILE           where to write the credential (never overwritten)
  --cidr CIDR          source networks the identity may connect from (repeatable; default any)
A running server sees every change on its next check (within a second; every replica with PostgreSQL);
no restart is needed.`;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*(@[A-Za-z0-9][A-Za-z0-9.-]*)?$/;
const MAX_NAME_LENGTH = 200;

/** True for a name `identity create` accepts: `acme-onprem` or `acme-onprem@agents.acme.causeway`. */
export function isIdentityName(name: string): boolean {
  return NAME.test(name) && name.length <= MAX_NAME_LENGTH;
}

/**
 * The canonical source networks of repeated `--cidr` values (each may hold a comma-separated list;
 * `none` or nothing means any address).
 */
export function parseCidrFlags(values: readonly string[] | undefined, fail: (message: string) => never): string[] {
  const list = (values ?? []).flatMap((c) => c.split(',')).filter((c) => c.trim() !== '' && c.trim() !== 'none');
  if (list.length > MAX_CIDRS_PER_IDENTITY) fail(`at most ${MAX_CIDRS_PER_IDENTITY} --cidr values`);
  return list.map((c) => canonicalCidr(c) ?? fail(`--cidr "${c}" is not a network like 10.0.0.0/8 or 2001:db8::/32`));
}
const MAX_JWK_FILE_BYTES = 16 * 1024;

export async function identityCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === 'help') {
    process.stdout.write(`${IDENTITY_HELP}\n`);
    return sub ? 0 : 2;
  }
  const { values } = parseCommandLine({
    args: rest,
    options: {
      ...SERVER_STORE_OPTIONS,
      name: { type: 'string' },
      role: { type: 'string' },
      server: { type: 'string' },
      'server-name': { type: 'string' },
      out: { type: 'string' },
      cidr: { type: 'string', multiple: true },
      'key-id': { type: 'string' },
      'public-jwk': { type: 'string' },
      federated: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${IDENTITY_HELP}\n`);
    return 0;
  }
  const { config, store } = serverStoreFromFlags(values, 'identity');
  const dataDir = values['data-dir'] ?? config?.dataDir ?? './data';
  const withStore = <T>(dir: string, use: (s: IdentityStore) => Promise<T>): Promise<T> => withIdentityStore(store, dir, use);
  const fail = (message: string): never => {
    throw new UsageError(message, 'identity');
  };
  const needName = (): string => values.name ?? fail('--name is required');
  const needCredentialTarget = (): { server: string; serverName: string; out: string } => {
    if (!values.server) fail('--server HOST:PORT is required (the server address the party dials)');
    const server = parseAddress(values.server!);
    if (!server.ok) fail(`--server: ${server.problem}`);
    if (!values.out) fail('--out FILE is required (where to write the credential)');
    // Like agent-bundle: the name the party checks in the server's certificate is the host it dials,
    // unless told otherwise. (A fixed "localhost" would break every credential made for a real host.)
    const serverName = values['server-name'] ?? (server as Extract<typeof server, { ok: true }>).address.host;
    return { server: values.server!, serverName, out: values.out! };
  };
  const cidrs = (): string[] => parseCidrFlags(values.cidr, fail);

  switch (sub) {
    case 'create': {
      const name = needName();
      if (!isIdentityName(name)) {
        fail(`--name "${name}" is not an identity name like acme-onprem@agents.acme.causeway`);
      }
      if (!values.role || !isRole(values.role) || values.role === 'server') fail('--role must be agent or client');
      if (values.federated) {
        if (values.role !== 'client') fail('--federated identities are clients (workload identity via a trusted OIDC issuer)');
        await withStore(dataDir, (s) => s.create(name, 'client', undefined, { cidrs: cidrs() }));
        process.stdout.write(`created federated client identity ${name}; map a trusted issuer's claim to it in server.yaml (oidc:)\n`);
        return 0;
      }
      const target = needCredentialTarget();
      const role = values.role as 'agent' | 'client';
      const { keyId } = await createIdentity({ dataDir, name, role, cidrs: cidrs(), store, ...target });
      process.stdout.write(`created ${role} identity ${name} (key ${keyId}); credential written to ${target.out}\n`);
      return 0;
    }
    case 'add-key': {
      const name = needName();
      if (values['public-jwk']) {
        const publicJwk = readPublicJwk(values['public-jwk'], fail);
        const keyId = await calculateJwkThumbprint(publicJwk, 'sha256');
        await withStore(dataDir, (s) => s.addKey(name, { keyId, publicJwk: { ...publicJwk, kid: keyId } }));
        process.stdout.write(`added key ${keyId} to ${name}; sign issuance tokens with kid ${keyId}\n`);
        return 0;
      }
      const target = needCredentialTarget();
      const { keyId } = await addIdentityKey({ dataDir, name, store, ...target });
      process.stdout.write(`added key ${keyId} to ${name}; credential written to ${target.out}\n`);
      return 0;
    }
    case 'remove-key': {
      const name = needName();
      const keyId = values['key-id'] ?? fail('--key-id is required');
      const record = await withStore(dataDir, (s) => s.removeKey(name, keyId));
      const left = record.keys.length === 0 ? '; it has no key left and can get no certificate' : '';
      process.stdout.write(`removed key ${keyId} from ${name}${left}\n`);
      return 0;
    }
    case 'set-cidrs': {
      const record = await withStore(dataDir, (s) => s.setCidrs(needName(), cidrs()));
      process.stdout.write(`${record.name} may connect from ${record.cidrs.length ? record.cidrs.join(', ') : 'any address'}\n`);
      return 0;
    }
    case 'list':
      for (const r of await withStore(dataDir, (s) => s.list())) process.stdout.write(`${summary(r)}\n`);
      return 0;
    case 'show': {
      const name = needName();
      const record = (await withStore(dataDir, (s) => s.get(name))) ?? fail(`no identity named ${name}`);
      process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
      return 0;
    }
    case 'disable':
    case 'enable': {
      const record = await withStore(dataDir, (s) => s.setEnabled(needName(), sub === 'enable'));
      process.stdout.write(`${record.name} is now ${record.enabled ? 'enabled' : 'disabled'}\n`);
      return 0;
    }
    default:
      return fail(`unknown identity command "${sub}"`);
  }
}

async function withIdentityStore<T>(resolved: ResolvedStore, dataDir: string, use: (store: IdentityStore) => Promise<T>): Promise<T> {
  // SQLite creates identities.db wherever it is pointed: a wrong --data-dir (or a run from the wrong
  // directory with the default ./data) would list an empty registry, or fail as "corrupt" when the
  // directory is missing. A server's data directory holds ca/ (ca init) or identities.db.
  if (resolved.target.kind === 'sqlite' && !existsSync(join(dataDir, 'identities.db')) && !existsSync(join(dataDir, 'ca'))) {
    throw new UsageError(
      `${dataDir} is not a server data directory (${existsSync(dataDir) ? 'no ca/ or identities.db in it' : 'it does not exist'}): give the server's --data-dir, or --config server.yaml, where 'causeway ca init' ran`,
      'identity',
    );
  }
  const store = await openIdentities(resolved, dataDir);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

function summary(r: IdentityRecord): string {
  const keys = r.keys.map((k) => k.keyId).join(',') || '-';
  return `${r.name}\t${r.role}\t${r.enabled ? 'enabled' : 'disabled'}\t${keys}\t${r.cidrs.join(',') || 'any'}`;
}

function readPublicJwk(file: string, fail: (message: string) => never): JWK {
  let jwk: JWK;
  try {
    const text = readFileSync(file, 'utf8');
    if (text.length > MAX_JWK_FILE_BYTES) fail(`${file} is larger than ${MAX_JWK_FILE_BYTES} bytes`);
    jwk = JSON.parse(text) as JWK;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return fail(`${file}: not a JSON JWK (${(err as Error).message})`);
  }
  if (typeof jwk !== 'object' || jwk === null || 'd' in jwk || 'p' in jwk || 'k' in jwk) {
    fail(`${file} must hold a public JWK only, without private parts`);
  }
  if (!ALLOWED_TOKEN_ALGORITHMS.some((alg) => keyFitsAlgorithm(jwk, alg))) {
    fail(`${file}: the key must be EC P-256 or P-384, Ed25519, or RSA of at least 2048 bits`);
  }
  return jwk;
}
