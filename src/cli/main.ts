import { ConfigError } from '../config/errors.js';
import { applyStreamBufferDefaults } from '../protocol/http2-settings.js';
import { VERSION } from '../version.js';
import { MAIN_HELP, UsageError } from './usage.js';

type Command = (argv: string[]) => Promise<number>;

/**
 * Each command's module is loaded only when it runs, so `causeway agent` never loads the server's code
 * (the CA signer, the identity registry, the SQLite audit store and its native addon); a test walks the
 * agent's import graph to keep it that way.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  server: async () => (await import('./cmd-server.js')).serverCommand,
  agent: async () => (await import('./cmd-agent.js')).agentCommand,
  'agent-bundle': async () => (await import('./cmd-agent-bundle.js')).agentBundleCommand,
  client: async () => (await import('./cmd-client.js')).clientCommand,
  ca: async () => (await import('./cmd-ca.js')).caCommand,
  identity: async () => (await import('./cmd-identity.js')).identityCommand,
  policy: async () => (await import('./cmd-policy.js')).policyCommand,
  quickstart: async () => (await import('./cmd-quickstart.js')).quickstartCommand,
  audit: async () => (await import('./cmd-audit.js')).auditCommand,
};

/** Parses the command line, runs one command, and turns every failure into one clear line. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!LONG_RUNNING.has(command ?? '')) endQuietlyWhenStdoutCloses();
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(MAIN_HELP);
    return command ? 0 : 2;
  }
  if (command === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const load = COMMANDS[command];
  if (!load) {
    process.stderr.write(`causeway: unknown command "${command}"; run 'causeway --help'\n`);
    return 2;
  }
  applyStreamBufferDefaults();
  try {
    const run = await load();
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

/** The programs: their stdout is the agent's audit stream or ssh's tunnel, and they handle it themselves. */
const LONG_RUNNING = new Set(['server', 'agent', 'client']);

/**
 * `causeway audit query … | head` or `identity list | grep -m1 …`: the reader goes away before the
 * output is written, and node turns the EPIPE into an unhandled 'error' with a stack trace. For the
 * one-shot commands the output was simply not wanted any more: stop, as `ls | head` does.
 */
function endQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}
