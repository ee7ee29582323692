/** Typed audit events: who reached what, when, and who was refused. Separate from the debug log. */
export type AuditEvent =
  | { type: 'token.accepted'; identity: string; keyId: string; source: string }
  | { type: 'token.rejected'; code: string; reason: string; keyId?: string; identity?: string; source: string }
  | { type: 'certificate.issued'; identity: string; role: string; serial: string; notAfter: string }
  | { type: 'agent.connected'; identity: string; instanceId: string; version: string; source: string }
  | { type: 'agent.disconnected'; identity: string; instanceId: string; reason: string }
  | { type: 'tunnel.opened'; tunnelId: string; client: string; agent: string; instanceId: string; target: string; remoteAddress: string }
  | {
      type: 'tunnel.closed';
      tunnelId: string;
      client: string;
      agent: string;
      target: string;
      bytesUp: number;
      bytesDown: number;
      durationMs: number;
      reason: string;
    }
  | { type: 'deny'; layer: 'authn' | 'identity' | 'acl' | 'allowlist' | 'limit'; identity: string; target?: string; reason: string; source?: string; code?: string }
  | { type: 'dial.failed'; client: string; agent: string; target: string; result: string; reason: string };

export type AuditEventType = AuditEvent['type'];
