import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, pollUntil } from './free-port.js';

/** A private npm registry: Verdaccio serving HTTPS itself on loopback, no uplinks (nothing public). */
export interface TestRegistry {
  readonly port: number;
  /** Calls the registry directly (not through the tunnel), with TLS checked against `name`. */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  stop(): Promise<void>;
}

const VERDACCIO_BIN = createRequire(import.meta.url).resolve('verdaccio/bin/verdaccio');

/** Starts Verdaccio with its own storage in `dir`, serving TLS with `cert` for the host `name`. */
export async function startVerdaccio(dir: string, name: string, cert: { certPem: string; keyPem: string; caPem: string }): Promise<TestRegistry> {
  mkdirSync(join(dir, 'storage'), { recursive: true });
  writeFileSync(join(dir, 'cert.pem'), cert.certPem);
  writeFileSync(join(dir, 'key.pem'), cert.keyPem);
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    stringify({
      storage: join(dir, 'storage'),
      auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: 10 } },
      uplinks: {},
      packages: { '**': { access: '$all', publish: '$authenticated' } },
      https: { key: join(dir, 'key.pem'), cert: join(dir, 'cert.pem') },
      web: { enable: false },
      log: { type: 'stdout', format: 'json', level: 'warn' },
    }),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [VERDACCIO_BIN, '--config', config, '--listen', `https://127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
  const request = (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        { host: '127.0.0.1', port, servername: name, ca: cert.caPem, method, path, headers: payload ? { 'content-type': 'application/json' } : {} },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as unknown) : undefined }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await pollUntil('verdaccio', async () => {
      if (child.exitCode !== null) throw new Error(`verdaccio exited: ${output.join('')}`);
      return (await request('GET', '/-/ping')).status === 200;
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${output.join('').slice(-2000)}`);
  }
  return {
    port,
    request,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
