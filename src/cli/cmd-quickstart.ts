import { basename, isAbsolute, join, relative } from 'node:path';
import { isSea } from 'node:sea';
import { CAUSEWAY_BIN } from '../quickstart/launch.js';
import { cloneThroughTunnel, setUpQuickstart } from '../quickstart/quickstart.js';
import { parseCommandLine } from './args.js';

export const QUICKSTART_HELP = `Usage: causeway quickstart [--dir DIR] [--once]

Builds a whole tunnel on this machine and sends a real request through it:
  a CA and two identities; server, agent and client as separate processes over mutual TLS;
  a private git server over HTTPS (its own internal CA) that only the agent can resolve and reach;
  then 'git clone' through the client's proxy. Prints each step and the commands to try by hand.

Options:
  --dir DIR   where to put everything (default: a new temporary directory)
  --once      exit after the demo: status 0 only if the clone succeeded
  --help      this text
Without --once it keeps running until Ctrl-C.`;

export async function quickstartCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine({
    args: argv,
    options: { dir: { type: 'string' }, once: { type: 'boolean' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${QUICKSTART_HELP}\n`);
    return 0;
  }
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  const env = await setUpQuickstart(values.dir, say);
  let ok = false;
  try {
    const readme = await cloneThroughTunnel(env, join(env.dir, 'clone'), process.env);
    ok = readme.includes('cloned through a Causeway tunnel');
    say(`7. git clone ${env.repoUrl} through the tunnel: ${ok ? 'OK' : 'unexpected content'}`);
    say(`   ${join(env.dir, 'clone', 'README.md')}: ${readme.split('\n')[0]}`);
  } catch (err) {
    say(`7. git clone through the tunnel FAILED: ${(err as Error).message.trim()}`);
    say(`   logs: ${join(env.dir, 'logs')}`);
  }
  say('');
  say('Try it yourself (the name git.demo.internal resolves only inside the agent):');
  say(`  https_proxy=${env.proxyUrl} GIT_SSL_CAINFO=${env.demoCaFile} git clone ${env.repoUrl} /tmp/demo-clone-$$`);
  say(`  curl -x ${env.proxyUrl} --cacert ${env.demoCaFile} '${env.repoUrl}/info/refs?service=git-upload-pack' | head -c 300`);
  say(`  curl -x ${env.proxyUrl} https://example.com/     # not on the allowlist: 403`);
  say(`  curl http://127.0.0.1:${String(env.server.ready['adminPort'])}/status   # agents and live tunnels`);
  say(`  open http://127.0.0.1:${String(env.server.ready['adminPort'])}/          # the live dashboard`);
  say(`  ${selfCommand()} audit query --data-dir ${join(env.dir, 'server-data')} --since 1h   # who reached what, who was refused`);
  say(`Configs, credentials and logs: ${env.dir}`);
  if (values.once) {
    await env.stop();
    return ok ? 0 : 1;
  }
  say('Running; press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await env.stop();
  return ok ? 0 : 1;
}

/**
 * How to run this CLI again from the shell the user is in: `npm run quickstart` in a checkout does not
 * put `causeway` on PATH, so the hint names what actually ran (`causeway` when started by that name,
 * else `node bin/causeway.js` or the single-file executable's own path).
 */
function selfCommand(): string {
  // Started as `causeway …` (npm link, a global install, /usr/local/bin): that name works again.
  if (!isSea() && basename(process.argv[1] ?? '') === 'causeway') return 'causeway';
  const path = isSea() ? process.execPath : CAUSEWAY_BIN;
  const rel = relative(process.cwd(), path);
  const shown = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? (isSea() ? `./${rel}` : rel) : path;
  const quoted = /^[\w@%+=:,./-]+$/.test(shown) ? shown : `'${shown.replace(/'/g, `'\\''`)}'`;
  return isSea() ? quoted : `node ${quoted}`;
}
