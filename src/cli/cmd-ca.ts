import { join } from 'node:path';
import { readCaPassphrase } from '../config/ca-passphrase.js';
import { formatDuration, parseDuration } from '../config/duration.js';
import { initCa } from '../pki/ca.js';
import { rotateIntermediate } from '../pki/rotate-intermediate.js';
import { isValidTrustDomain } from '../pki/spiffe.js';
import { UsageError } from './usage.js';
import { parseCommandLine } from './args.js';

export const CA_HELP = `Usage: causeway ca <init|rotate-intermediate> [options]

  init --trust-domain NAME [--encrypt]
      Creates the trust domain's root CA and the intermediate that signs every leaf certificate, in
      DIR/ca/ (keys are ECDSA P-256 PKCS#8 files with mode 0600; refuses to overwrite an existing CA).
      --encrypt encrypts both keys with the passphrase from CAUSEWAY_CA_PASSPHRASE_FILE,
      CAUSEWAY_CA_PASSPHRASE or --passphrase-file.
  rotate-intermediate [--overlap 24h]
      Signs a new intermediate with the root key (which must be in DIR/ca/) and deletes the old
      intermediate key. The old certificate stays in the bundles for --overlap (default 48h; make it
      at least the certificate lifetime) so no party breaks. Restart the server to sign with the new one.

Options:
  --data-dir DIR          the server's data directory (default ./data)
  --trust-domain NAME     e.g. acme.causeway; SPIFFE IDs become spiffe://NAME/<role>/<identity>
  --passphrase-file FILE  passphrase of encrypted CA keys (mode 0600)`;

const DEFAULT_OVERLAP = '48h';

export async function caCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === 'help') {
    process.stdout.write(`${CA_HELP}\n`);
    return sub ? 0 : 2;
  }
  if (sub !== 'init' && sub !== 'rotate-intermediate') throw new UsageError(`unknown ca command "${sub}"`, 'ca');
  const { values } = parseCommandLine({
    args: rest,
    options: {
      'data-dir': { type: 'string', default: './data' },
      'trust-domain': { type: 'string' },
      encrypt: { type: 'boolean' },
      overlap: { type: 'string', default: DEFAULT_OVERLAP },
      'passphrase-file': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${CA_HELP}\n`);
    return 0;
  }
  const dir = join(values['data-dir'], 'ca');
  const passphrase = readCaPassphrase(values['passphrase-file']);
  if (sub === 'rotate-intermediate') {
    const overlapMs = parseDuration(values.overlap);
    if (overlapMs === undefined || overlapMs <= 0) throw new UsageError(`--overlap "${values.overlap}" is not a duration like 48h`, 'ca');
    const rotated = await rotateIntermediate(dir, { passphrase, overlapMs });
    process.stdout.write(
      `new intermediate ${rotated.serial} signs from the next server start; ` +
        `${rotated.previousSerial} stays in bundles for ${formatDuration(overlapMs)} (until ${rotated.overlapUntil.toISOString()})\n`,
    );
    return 0;
  }
  if (!values['trust-domain']) throw new UsageError('--trust-domain is required', 'ca');
  if (!isValidTrustDomain(values['trust-domain'])) {
    throw new UsageError(
      `--trust-domain ${JSON.stringify(values['trust-domain'])} is not a trust domain: lower-case letters, digits, ".", "-" and "_", like acme.causeway`,
      'ca',
    );
  }
  if (values.encrypt && passphrase === undefined) {
    throw new UsageError('--encrypt needs a passphrase: CAUSEWAY_CA_PASSPHRASE_FILE, CAUSEWAY_CA_PASSPHRASE or --passphrase-file', 'ca');
  }
  await initCa(dir, { trustDomain: values['trust-domain'], passphrase: values.encrypt ? passphrase : undefined });
  process.stdout.write(`created root and intermediate CA for ${values['trust-domain']} in ${dir}${values.encrypt ? ' (keys encrypted)' : ''}\n`);
  return 0;
}
