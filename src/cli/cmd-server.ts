import { parseArgs } from 'node:util';
import { dirname, resolve } from 'node:path';
import { readCaPassphrase } from '../config/ca-passphrase.js';
import { toTrustedIssuers } from '../config/oidc.js';
import { loadServerConfig } from '../config/server.js';
import { createLogger } from '../log/logger.js';
import { startServer } from '../server/server.js';
import { logLevelFromEnv } from './env.js';
import { runUntilSignal } from './run-program.js';
import { UsageError } from './usage.js';

export const SERVER_HELP = `Usage: causeway server --config server.yaml

Runs the tunnel server. The config names the listen address, the data directory (which holds ca/ from
'causeway ca init' and identities.db from 'causeway identity create'), the ACL and limits.
Encrypted CA keys are unlocked with CAUSEWAY_CA_PASSPHRASE_FILE, CAUSEWAY_CA_PASSPHRASE or caPassphraseFile.
See docs/config.md. The audit log is written to <dataDir>/audit.jsonl.

Options:
  --config FILE   server config (YAML)          (required)
  --help          this text
SIGINT/SIGTERM: stop taking tunnels, give live ones a short grace period, exit.`;

export async function serverCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, help: { type: 'boolean' } }, strict: true });
  if (values.help) {
    process.stdout.write(`${SERVER_HELP}\n`);
    return 0;
  }
  if (!values.config) throw new UsageError('--config is required', 'server');
  const config = loadServerConfig(values.config);
  const log = createLogger('server', logLevelFromEnv());
  const server = await startServer({
    listen: config.listen,
    admin: config.admin,
    dataDir: config.dataDir,
    serverNames: config.serverNames,
    certLifetimeMs: config.certLifetime,
    acl: config.acl,
    maxStreamsPerIdentity: config.limits.maxStreamsPerIdentity,
    dialTimeoutMs: config.limits.dialTimeout,
    maxPendingDials: config.limits.maxPendingDials,
    handshakeTimeoutMs: 10_000,
    caPassphrase: readCaPassphrase(config.caPassphraseFile),
    trustedIssuers: toTrustedIssuers(config.oidc ?? [], dirname(resolve(values.config))),
    log,
  });
  return runUntilSignal(log, () => server.close(5000));
}
