import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AdminRoutes {
  /** Returns undefined when ready, or why not. */
  notReadyReason: () => string | undefined;
  /** Extra JSON endpoints, e.g. /status. */
  json?: Record<string, () => unknown>;
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
