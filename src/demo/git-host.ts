import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import https, { type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface DemoGitHost {
  server: Server;
  port: number;
  close(): Promise<void>;
}

const MAX_CGI_HEADER_BYTES = 16 * 1024;

/**
 * A small private code host for demos and tests: real `git http-backend` (smart HTTP) behind HTTPS
 * with a certificate from a CA the client side does not know by default.
 */
export function startDemoGitHost(options: { projectRoot: string; certPem: string; keyPem: string; host: string; port: number }): Promise<DemoGitHost> {
  const server = https.createServer({ cert: options.certPem, key: options.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://demo.invalid');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: options.projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_ADDR: req.socket.remoteAddress ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
        ...(req.headers['content-length'] ? { CONTENT_LENGTH: String(req.headers['content-length']) } : {}),
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    cgi.stdin.on('error', () => undefined);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        if (!res.write(chunk)) {
          cgi.stdout.pause();
          res.once('drain', () => cgi.stdout.resume());
        }
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      const endLf = head.indexOf('\n\n');
      const split = end >= 0 ? end : endLf;
      if (split < 0) {
        if (head.length > MAX_CGI_HEADER_BYTES) {
          cgi.kill();
          res.writeHead(502).end();
        }
        return;
      }
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, split).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(split + (end >= 0 ? 4 : 2)));
    });
    cgi.stdout.on('end', () => {
      if (!headersDone) res.writeHead(502);
      res.end();
    });
    cgi.on('error', () => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Creates `<root>/<name>.git`, a bare repository with one commit holding a README. */
export function createDemoRepository(root: string, name: string, readme: string): string {
  const work = join(root, `${name}-work`);
  const bare = join(root, `${name}.git`);
  mkdirSync(work, { recursive: true });
  const git = (cwd: string, ...args: string[]): void => {
    execFileSync('git', args, {
      cwd,
      stdio: 'ignore',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Causeway Demo',
        GIT_AUTHOR_EMAIL: 'demo@causeway.invalid',
        GIT_COMMITTER_NAME: 'Causeway Demo',
        GIT_COMMITTER_EMAIL: 'demo@causeway.invalid',
        GIT_CONFIG_NOSYSTEM: '1',
        HOME: root,
      },
    });
  };
  git(work, 'init', '-q', '-b', 'main');
  writeFileSync(join(work, 'README.md'), readme);
  git(work, 'add', 'README.md');
  git(work, 'commit', '-q', '-m', 'Initial commit');
  git(root, 'clone', '-q', '--bare', work, bare);
  return bare;
}
