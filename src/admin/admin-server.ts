import { timingSafeEqual } from 'node:crypto';
import { readdirSync } from 'node:fs';
import http, { type Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';

export interface AdminRoutes {
  /** Returns undefined when ready, or why not. */
  notReadyReason: () => string | undefined;
  /** Extra JSON endpoints, e.g. /status. */
  json?: Record<string, () => unknown>;
  /** Prometheus text for /metrics. */
  metrics?: { render: () => Promise<string>; contentType: string };
  /** Static HTML pages (no data in them; they fetch JSON endpoints), e.g. /dashboard. */
  html?: Record<string, string>;
  /**
   * Bearer token for everything but /healthz, /readyz and the HTML shells. Required when the listener
   * is not on loopback.
   */
  token?: string | undefined;
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

export class AdminConfigError extends Error {
  readonly code = 'ERR_ADMIN_TOKEN_REQUIRED';
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

const SECURITY_HEADERS = {
  // No keep-alive: scrapes are seconds apart, and an idle kept connection would hold a stopping program open.
  connection: 'close',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/** Throws unless the admin listener may bind `host`: loopback, or anywhere with a bearer token. */
export function assertAdminBinding(host: string, token: string | undefined): void {
  if (!isLoopbackHost(host) && !token) {
    throw new AdminConfigError(`the admin listener on ${host} is not loopback; it needs a bearer token (set CAUSEWAY_ADMIN_TOKEN) or a loopback address`);
  }
}

/**
 * The admin listener: /healthz (alive), /readyz (ready to serve), /metrics, JSON status pages and the
 * dashboard. Loopback by default; bound anywhere else it refuses to start without a bearer token.
 */
export function startAdmin(host: string, port: number, routes: AdminRoutes): Promise<{ server: Server; port: number }> {
  try {
    assertAdminBinding(host, routes.token);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  const expected = routes.token ? Buffer.from(`Bearer ${routes.token}`) : undefined;
  const authorized = (header: string | undefined): boolean => {
    if (!expected) return true;
    const given = Buffer.from(header ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (status: number, body: unknown, type?: string): void => {
      const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
      res.writeHead(status, {
        ...SECURITY_HEADERS,
        'content-type': type ?? (typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json'),
        ...(status === 401 ? { 'www-authenticate': 'Bearer realm="causeway-admin"' } : {}),
      });
      res.end(type || text.endsWith('\n') ? text : `${text}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    if (path === '/healthz') return send(200, 'ok');
    if (path === '/readyz') {
      const reason = routes.notReadyReason();
      return reason ? send(503, `not ready: ${reason}`) : send(200, 'ready');
    }
    const page = routes.html?.[path];
    if (page) return send(200, page, 'text/html; charset=utf-8');
    if (!authorized(req.headers.authorization)) return send(401, 'a bearer token is required');
    if (path === '/metrics' && routes.metrics) {
      const metrics = routes.metrics;
      metrics.render().then(
        (text) => send(200, text, metrics.contentType),
        (err: unknown) => send(500, `metrics failed: ${(err as Error).message}`),
      );
      return;
    }
    if (path === '/process') return send(200, processReport());
    const json = routes.json?.[path];
    if (json) return send(200, json());
    return send(404, 'not found');
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.maxHeadersCount = 50;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
}
