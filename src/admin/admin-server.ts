import { readdirSync } from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AdminRoutes {
  /** Returns undefined when ready, or why not. */
  notReadyReason: () => string | undefined;
  /** Extra JSON endpoints, e.g. /status. */
  json?: Record<string, () => unknown>;
}

/**
 * Process figures for operators and leak checks: memory (after a collection when the process runs
 * with --expose-gc) and open file descriptors.
 */
function processReport(): Record<string, unknown> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (typeof collect === 'function') collect();
  let openFds: number | undefined;
  try {
    openFds = readdirSync('/proc/self/fd').length;
  } catch {
    openFds = undefined;
  }
  return { pid: process.pid, uptimeSeconds: Math.round(process.uptime()), memory: process.memoryUsage(), openFds };
}

/** The admin listener: /healthz (alive), /readyz (ready to serve), and JSON status pages. */
export function startAdmin(host: string, port: number, routes: AdminRoutes): Promise<{ server: Server; port: number }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown): void => {
      const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' });
      res.end(text.endsWith('\n') ? text : `${text}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    if (path === '/healthz') return send(200, 'ok');
    if (path === '/readyz') {
      const reason = routes.notReadyReason();
      return reason ? send(503, `not ready: ${reason}`) : send(200, 'ready');
    }
    if (path === '/process') return send(200, processReport());
    const page = path ? routes.json?.[path] : undefined;
    if (page) return send(200, page());
    return send(404, 'not found');
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
}
