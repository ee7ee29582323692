import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initCa } from '../pki/ca.js';
import { UsageError } from './usage.js';

export const CA_HELP = `Usage: causeway ca init --data-dir DIR --trust-domain NAME

Creates the trust domain's root CA and the intermediate that signs every leaf certificate, in DIR/ca/
(keys are ECDSA P-256 PKCS#8 files with mode 0600; refuses to overwrite an existing CA).

Options:
  --data-dir DIR        the server's data directory (default ./data)
  --trust-domain NAME   e.g. acme.causeway; SPIFFE IDs become spiffe://NAME/<role>/<identity>  (required)`;

export async function caCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === 'help') {
    process.stdout.write(`${CA_HELP}\n`);
    return sub ? 0 : 2;
  }
  if (sub !== 'init') throw new UsageError(`unknown ca command "${sub}"`, 'ca');
  const { values } = parseArgs({
    args: rest,
    options: { 'data-dir': { type: 'string', default: './data' }, 'trust-domain': { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${CA_HELP}\n`);
    return 0;
  }
  if (!values['trust-domain']) throw new UsageError('--trust-domain is required', 'ca');
  const dir = join(values['data-dir'], 'ca');
  await initCa(dir, { trustDomain: values['trust-domain'] });
  process.stdout.write(`created root and intermediate CA for ${values['trust-domain']} in ${dir}\n`);
  return 0;
}
