import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';

const run = promisify(execFile);
const SUPERUSER = 'causeway';
/** pg_ctl waits (polling the server) at most this long for a start or stop. */
const PG_CTL_WAIT_S = '30';

/** A throwaway PostgreSQL server on a loopback port, its data and socket in a temp directory. */
export interface TestPostgres {
  readonly port: number;
  readonly dir: string;
  /** File holding the superuser's password (mode 0600); TCP connections must present it. */
  readonly passwordFile: string;
  readonly password: string;
  /** A URL without the password, for `store:` with `storePasswordFile`. */
  urlFor(database: string): string;
  /** Creates an empty database and returns its URL (without the password). */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast: open connections are cut), keeping its data, as an outage would. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops it and removes the directory. */
  close(): Promise<void>;
}

/** The newest installed PostgreSQL's bin directory (Debian: /usr/lib/postgresql/<major>/bin). */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed (apt-get install postgresql; .ci/run does this)');
  return join(root, versions[0]!, 'bin');
}

/**
 * Starts a PostgreSQL server for a test. initdb and postgres refuse to run as root, so as root (CI)
 * they run as the `postgres` user that Debian's package creates, in a directory it owns.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'causeway-pg-'));
  const data = join(dir, 'data');
  const passwordFile = join(dir, 'password');
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    chownSync(passwordFile, Number(stdout.trim()), Number(gid.trim()));
  }
  const pgRun = (program: string, args: string[]): Promise<unknown> =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, program), ...args]) : run(join(bin, program), args);

  await pgRun('initdb', ['-D', data, '-U', SUPERUSER, '--pwfile', passwordFile, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=100',
  ].join(' ');
  let running = false;
  const start = async (): Promise<void> => {
    await pgRun('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-o', options, '-w', '-t', PG_CTL_WAIT_S, 'start']);
    running = true;
  };
  const stop = async (): Promise<void> => {
    await pgRun('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', PG_CTL_WAIT_S, 'stop']);
    running = false;
  };
  // A test process that ends without close() (a failed hook, a timeout) must not leave postgres running.
  const stopOnExit = (): void => {
    if (!running) return;
    const args = ['-D', data, '-m', 'immediate', '-w', '-t', '10', 'stop'];
    try {
      if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args], { stdio: 'ignore' });
      else execFileSync(join(bin, 'pg_ctl'), args, { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  };
  process.once('exit', stopOnExit);
  await start();
  const urlFor = (database: string): string => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
  return {
    port,
    dir,
    passwordFile,
    password,
    urlFor,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: urlFor('postgres').replace('@', `:${password}@`) });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return urlFor(name);
    },
    stop,
    start,
    async close() {
      await stop().catch(() => undefined);
      process.removeListener('exit', stopOnExit);
      if (!process.env['CAUSEWAY_KEEP_TEST_DIRS']) rmSync(dir, { recursive: true, force: true });
    },
  };
}
