import { dirname, resolve } from 'node:path';
import { readCaPassphrase } from '../config/ca-passphrase.js';
import { toTrustedIssuers } from '../config/oidc.js';
import { loadServerConfig } from '../config/server.js';
import { resolveStore } from '../config/store.js';
import { createLogger } from '../log/logger.js';
import { startServer } from '../server/server.js';
import { compileAcl } from '../policy/acl.js';
import { watchPolicy } from './policy-reloader.js';
import { adminTokenFromEnv, logLevelFromEnv } from './env.js';
import { runUntilSignal } from './run-program.js';
import { UsageError } from './usage.js';
import { parseCommandLine } from './args.js';

export const SERVER_HELP = `Usage: causeway server --config server.yaml

Runs the tunnel server. The config names the listen address, the data directory (which holds ca/ from
'causeway ca init' and identities.db from 'causeway identity create'), the ACL and limits.
Every config key is described in docs/config.md. Audit records go to <dataDir>/audit.db (SQLite, hash-chained, 30-day retention;
see 'causeway audit --help') and as JSON lines to <dataDir>/audit.jsonl. The admin listener serves
/healthz /readyz /metrics /status and the dashboard at /; bound beyond loopback it needs
CAUSEWAY_ADMIN_TOKEN (sent as 'Authorization: Bearer TOKEN', or #token=TOKEN in the dashboard URL).
Encrypted CA keys are unlocked with CAUSEWAY_CA_PASSPHRASE_FILE, CAUSEWAY_CA_PASSPHRASE or caPassphraseFile.
Replicas share identities, used token ids and the audit log through 'store: postgres://user@host/db' (or
CAUSEWAY_STORE_URL), the password in storePasswordFile (or CAUSEWAY_STORE_PASSWORD_FILE); see docs/scale-out.md.

Options:
  --config FILE   server config (YAML)          (required)
  --help          this text
SIGINT/SIGTERM: stop taking tunnels, give live ones limits.drainTimeout (default 30s), exit.
SIGHUP, or a change to the config file: reload the acl (other settings need a restart). Live tunnels the
new acl no longer permits are closed and audited; a file that does not validate keeps the acl in force.`;

export async function serverCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine({ args: argv, options: { config: { type: 'string' }, help: { type: 'boolean' } }, strict: true });
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
    keepaliveIntervalMs: config.limits.keepaliveInterval,
    keepaliveTimeoutMs: config.limits.keepaliveTimeout,
    replicaId: config.replica.id,
    replicaCount: config.replica.count,
    audit: {
      store: config.audit.store,
      retentionMs: config.audit.retention,
      pruneIntervalMs: config.audit.pruneInterval,
      jsonLinesFile: config.audit.jsonLinesFile,
      jsonLinesStdout: config.audit.jsonLinesStdout,
      unauthorizedWarn: { threshold: config.audit.unauthorizedWarn.threshold, windowMs: config.audit.unauthorizedWarn.window },
    },
    adminToken: adminTokenFromEnv(),
    caPassphrase: readCaPassphrase(config.caPassphraseFile),
    store: resolveStore({ store: config.store, passwordFile: config.storePasswordFile }),
    trustedIssuers: toTrustedIssuers(config.oidc ?? [], dirname(resolve(values.config))),
    log,
  });
  const reloader = watchPolicy({
    file: values.config,
    what: 'acl',
    onResult: (result, reason) =>
      server.context.audit.record({ type: 'config.reloaded', file: values.config!, result, ...(reason ? { reason } : {}) }),
    load: () => {
      const rules = loadServerConfig(values.config!).acl;
      compileAcl(rules);
      return rules;
    },
    apply: (rules) => {
      const closed = server.applyAcl(rules);
      if (closed > 0) log.info({ closed }, 'closed live tunnels the reloaded acl no longer permits');
    },
    log,
  });
  return runUntilSignal(log, () => {
    reloader.close();
    return server.close(config.limits.drainTimeout);
  });
}
