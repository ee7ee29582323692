import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from './free-port.js';

export const TINYPROXY = '/usr/bin/tinyproxy';

/** A real HTTP CONNECT proxy (Debian's tinyproxy) on a loopback port, in the foreground. */
export interface TestTinyproxy {
  readonly port: number;
  /** Its log lines so far (it logs each CONNECT request and each refusal). */
  readonly log: string[];
  /** The `CONNECT host:port` requests it has seen. */
  connects(): string[];
  stop(): Promise<void>;
}

export interface TinyproxyOptions {
  /** Basic-auth user and password the proxy demands. */
  basicAuth?: { user: string; password: string };
  /** Ports CONNECT may reach; all when absent. */
  connectPorts?: number[];
}

/** Starts `tinyproxy -d -c FILE` with a config written to `dir`; resolves once it accepts connections. */
export async function startTinyproxy(dir: string, options: TinyproxyOptions = {}): Promise<TestTinyproxy> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = join(dir, 'tinyproxy.conf');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 60',
      'MaxClients 20',
      'LogLevel Info',
      'Allow 127.0.0.1',
      `PidFile "${join(dir, 'tinyproxy.pid')}"`,
      ...(options.basicAuth ? [`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`] : []),
      ...(options.connectPorts ?? []).map((p) => `ConnectPort ${p}`),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(TINYPROXY, ['-d', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (line) => log.push(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      clearInterval(check);
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error(`tinyproxy did not start:\n${log.join('\n')}`)), 15_000);
    const check = setInterval(() => {
      if (log.some((line) => line.includes('Accepting connections'))) done();
    }, 20);
    void exited.then(() => done(new Error(`tinyproxy exited:\n${log.join('\n')}`)));
  });
  return {
    port,
    log,
    connects: () => log.map((line) => /Request \(file descriptor \d+\): CONNECT (\S+) HTTP/.exec(line)?.[1]).filter((c): c is string => c !== undefined),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
