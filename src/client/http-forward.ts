import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { parseAuthority } from './authority.js';
import { failureLine, HTTP_FOR_FAILURE } from './failure-replies.js';
import type { FrontEndContext } from './front-end-context.js';
import { TunnelOpenError } from './open-tunnel.js';
import type { TunnelAgent } from './tunnel-agent.js';

const DEFAULT_HTTP_PORT = 80;

/** RFC 9110 §7.6.3: a proxy adds itself to Via on every message it forwards, both ways. */
const VIA = ['Via', '1.1 causeway'] as const;

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1) plus the proxy's own: they describe one connection, or carry
 * the local proxy credentials, and never go to the next hop. Names listed in `Connection` join them.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** A request in absolute form (`GET http://host[:port]/path`), checked; or why it is not one. */
export type AbsoluteTarget = { ok: true; host: string; port: number; path: string; authority: string } | { ok: false; status: number; reason: string };

/** Parses the request target of a plain proxy request (RFC 9112 §3.2.2). */
export function parseAbsoluteTarget(url: string): AbsoluteTarget {
  if (url.startsWith('/') || url === '*') {
    return { ok: false, status: 400, reason: 'this is a proxy: send absolute-form requests (http://host/path) or CONNECT host:port' };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, status: 400, reason: 'the request target is not a valid URL' };
  }
  if (parsed.protocol !== 'http:') {
    return { ok: false, status: 400, reason: `only http:// URLs are forwarded, not ${parsed.protocol}//; for https:// use CONNECT host:port (what an https_proxy setting does)` };
  }
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const port = parsed.port ? Number(parsed.port) : DEFAULT_HTTP_PORT;
  if (!parseAuthority(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)) {
    return { ok: false, status: 400, reason: 'the request target names no valid host' };
  }
  return { ok: true, host, port, path: `${parsed.pathname}${parsed.search}`, authority: parsed.host };
}

/** Copies raw header pairs without the hop-by-hop ones; returns a flat [name, value, …] list. */
export function endToEndHeaders(raw: readonly string[]): string[] {
  const dropped = new Set(HOP_BY_HOP);
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection') {
      for (const name of raw[i + 1]!.split(',')) dropped.add(name.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!dropped.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/**
 * Forwards one absolute-form request over a pooled tunnel and streams the answer back; the client's
 * connection stays open for its next request (keep-alive) unless either side says otherwise.
 */
export function forwardRequest(ctx: FrontEndContext, agent: TunnelAgent, req: IncomingMessage, res: ServerResponse): void {
  const target = parseAbsoluteTarget(req.url ?? '');
  if (!target.ok) return void plain(res, target.status, `causeway: ${target.reason}`);
  const headers = endToEndHeaders(req.rawHeaders);
  const cleaned: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== 'host') cleaned.push(headers[i]!, headers[i + 1]!);
  }
  const upstream = http.request({
    agent,
    host: target.host,
    port: target.port,
    method: req.method,
    path: target.path,
    setHost: false,
    headers: ['Host', target.authority, ...cleaned, ...VIA] as unknown as http.OutgoingHttpHeaders,
  });
  upstream.on('response', (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, [...endToEndHeaders(answer.rawHeaders), ...VIA] as unknown as http.OutgoingHttpHeaders);
    answer.pipe(res);
    answer.on('error', () => res.destroy());
  });
  upstream.on('error', (err) => {
    if (err instanceof TunnelOpenError) {
      const reply = HTTP_FOR_FAILURE[err.failure];
      return void plain(res, reply.status, failureLine(err.failure, err.message), reply.retryAfter);
    }
    ctx.log.info({ frontEnd: 'http', host: target.host, port: target.port, err: err.message }, 'forwarded request failed');
    if (res.headersSent) return void res.destroy();
    plain(res, 502, failureLine('error', `the target's answer broke off: ${err.message}`));
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

function plain(res: ServerResponse, status: number, line: string, retryAfter?: number): void {
  if (res.headersSent) return void res.destroy();
  const body = `${line}\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(retryAfter ? { 'retry-after': String(retryAfter) } : {}),
  });
  res.end(body);
}
