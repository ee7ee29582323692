import { ConfigError } from '../config/errors.js';
import { applyStreamBufferDefaults } from '../protocol/http2-settings.js';
import { VERSION } from '../version.js';
import { agentCommand } from './cmd-agent.js';
import { agentBundleCommand } from './cmd-agent-bundle.js';
import { auditCommand } from './cmd-audit.js';
import { caCommand } from './cmd-ca.js';
import { clientCommand } from './cmd-client.js';
import { identityCommand } from './cmd-identity.js';
import { policyCommand } from './cmd-policy.js';
import { quickstartCommand } from './cmd-quickstart.js';
import { serverCommand } from './cmd-server.js';
import { MAIN_HELP, UsageError } from './usage.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  server: serverCommand,
  agent: agentCommand,
  'agent-bundle': agentBundleCommand,
  client: clientCommand,
  ca: caCommand,
  identity: identityCommand,
  policy: policyCommand,
  quickstart: quickstartCommand,
  audit: auditCommand,
};

/** Parses the command line, runs one command, and turns every failure into one clear line. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(MAIN_HELP);
    return command ? 0 : 2;
  }
  if (command === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`causeway: unknown command "${command}"; run 'causeway --help'\n`);
    return 2;
  }
  applyStreamBufferDefaults();
  try {
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`causeway ${err.command}: ${err.message}; run 'causeway ${err.command} --help'\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`causeway: config error: ${err.message}\n`);
      return 2;
    }
    const e = err as Error & { code?: string };
    if (e && typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`causeway ${command}: ${e.message}; run 'causeway ${command} --help'\n`);
      return 2;
    }
    process.stderr.write(`causeway ${command}: ${e?.message ?? String(err)}${e?.code ? ` (${e.code})` : ''}\n`);
    return 1;
  }
}
