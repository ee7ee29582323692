import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { startAdmin } from '../admin/admin-server.js';
import { createConnectProxy } from '../client/connect-proxy.js';
import { formatAddress } from '../config/address.js';
import { loadClientConfig } from '../config/client.js';
import { loadCredential } from '../config/credential.js';
import { ServerLink } from '../identity/server-link.js';
import { createLogger } from '../log/logger.js';
import { logLevelFromEnv } from './env.js';
import { toPartyCredential, workloadPartyCredential } from './party-credential.js';
import { isWorkloadCredentialFile, loadWorkloadCredential } from '../config/workload-credential.js';
import { runUntilSignal } from './run-program.js';
import { UsageError } from './usage.js';

export const CLIENT_HELP = `Usage: causeway client --config client.yaml

Runs a local forward proxy beside your workloads. Point tools at it with the standard proxy settings:
  https_proxy=http://127.0.0.1:3128 git clone https://gitlab.internal.acme.net/group/repo.git
  curl -x http://127.0.0.1:3128 https://artifactory.internal.acme.net/
Each CONNECT host:port becomes one tunnel through the server to an agent allowed to reach it.
Errors: 403 denied by ACL or allowlist, 503 no agent / server unreachable (with Retry-After),
502 target refused or unreachable, 504 dial timed out; the body says which in one line.

Options:
  --config FILE   client config (YAML)          (required)
  --help          this text`;

export async function clientCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, help: { type: 'boolean' } }, strict: true });
  if (values.help) {
    process.stdout.write(`${CLIENT_HELP}\n`);
    return 0;
  }
  if (!values.config) throw new UsageError('--config is required', 'client');
  const config = loadClientConfig(values.config);
  const log = createLogger('client', logLevelFromEnv());
  let credential;
  if (isWorkloadCredentialFile(config.credentials)) {
    credential = workloadPartyCredential(loadWorkloadCredential(config.credentials));
  } else {
    const loaded = loadCredential(config.credentials);
    credential = toPartyCredential(loaded.credential);
    for (const warning of loaded.warnings) log.warn(warning);
  }
  const link = new ServerLink(credential, {
    address: config.server ? formatAddress(config.server) : credential.server,
    log: log.child({ part: 'link' }),
  });
  await link.start();
  const proxy = createConnectProxy({
    link,
    log,
    dialTimeoutMs: 10_000,
    maxConnections: config.limits.maxConnections,
    headerBytes: config.limits.headerBytes,
    handshakeTimeoutMs: config.limits.handshakeTimeout,
    idleTimeoutMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const port = (proxy.address() as AddressInfo).port;
  let adminPort: number | undefined;
  let closeAdmin = (): void => undefined;
  if (config.admin) {
    const admin = await startAdmin(config.admin.host, config.admin.port, { notReadyReason: () => link.notReadyReason() });
    adminPort = admin.port;
    closeAdmin = () => admin.server.close();
  }
  log.info({ event: 'ready', port, adminPort, proxy: `http://${formatAddress({ host: config.listen.host, port })}` }, 'client proxy listening');
  return runUntilSignal(log, async () => {
    proxy.close();
    closeAdmin();
    link.stop();
  });
}
