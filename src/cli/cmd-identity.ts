import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAddress } from '../config/address.js';
import { isRole } from '../pki/spiffe.js';
import { IdentityRegistry } from '../registry/identity-registry.js';
import { createIdentity } from '../registry/create-identity.js';
import { UsageError } from './usage.js';

export const IDENTITY_HELP = `Usage: causeway identity <create|list|show|disable|enable> [options]

  create   --name NAME --role agent|client --server HOST:PORT [--server-name NAME] --out FILE
           Makes a service-account key pair, records only its public key in DATA/identities.json and
           writes the party's credential file (identity, key id, private key, server address, CA bundle)
           with mode 0600. Hand that file to the agent or client; it is the only copy of the key.
  list     all identities with role, state and key ids
  show     --name NAME
  disable  --name NAME   refuses new certificates and streams; live tunnels end within seconds
  enable   --name NAME

Common options:
  --data-dir DIR   the server's data directory (default ./data)
A running server picks up changes within a second; no restart is needed.`;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*(@[A-Za-z0-9][A-Za-z0-9.-]*)?$/;

export async function identityCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === 'help') {
    process.stdout.write(`${IDENTITY_HELP}\n`);
    return sub ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      'data-dir': { type: 'string', default: './data' },
      name: { type: 'string' },
      role: { type: 'string' },
      server: { type: 'string' },
      'server-name': { type: 'string', default: 'localhost' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${IDENTITY_HELP}\n`);
    return 0;
  }
  const dataDir = values['data-dir'];
  const registry = new IdentityRegistry(join(dataDir, 'identities.json'));
  const needName = (): string => {
    if (!values.name) throw new UsageError('--name is required', 'identity');
    return values.name;
  };
  switch (sub) {
    case 'create': {
      const name = needName();
      if (!NAME.test(name) || name.length > 200) {
        throw new UsageError(`--name "${name}" is not an identity name like acme-onprem@agents.acme.causeway`, 'identity');
      }
      if (!values.role || !isRole(values.role) || values.role === 'server') throw new UsageError('--role must be agent or client', 'identity');
      if (!values.server || !parseAddress(values.server).ok) throw new UsageError('--server HOST:PORT is required', 'identity');
      if (!values.out) throw new UsageError('--out FILE is required (where to write the credential)', 'identity');
      const { keyId } = await createIdentity({
        dataDir,
        name,
        role: values.role,
        server: values.server,
        serverName: values['server-name'],
        out: values.out,
      });
      process.stdout.write(`created ${values.role} identity ${name} (key ${keyId}); credential written to ${values.out}\n`);
      return 0;
    }
    case 'list':
      for (const r of registry.list()) {
        process.stdout.write(`${r.name}\t${r.role}\t${r.enabled ? 'enabled' : 'disabled'}\t${r.keys.map((k) => k.keyId).join(',')}\n`);
      }
      return 0;
    case 'show': {
      const record = registry.get(needName());
      if (!record) throw new UsageError(`no identity named ${values.name}`, 'identity');
      process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
      return 0;
    }
    case 'disable':
    case 'enable': {
      const record = registry.setEnabled(needName(), sub === 'enable');
      process.stdout.write(`${record.name} is now ${record.enabled ? 'enabled' : 'disabled'}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown identity command "${sub}"`, 'identity');
  }
}
