/** Typed audit events: who reached what, when, and who was refused. Separate from the debug log. */

/** Where a deny was decided. */
export type DenyLayer = 'authn' | 'identity' | 'acl' | 'allowlist' | 'limit' | 'request';

export type AuditEvent =
  | { type: 'token.accepted'; identity: string; keyId: string; source: string }
  | { type: 'token.rejected'; code: string; reason: string; keyId?: string; identity?: string; source: string }
  | { type: 'certificate.issued'; identity: string; role: string; serial: string; notAfter: string }
  | { type: 'identity.changed'; identity: string; change: 'created' | 'enabled' | 'disabled' | 'key-added' | 'key-removed' | 'removed'; keyId?: string; actor?: string }
  | { type: 'config.reloaded'; file: string; result: 'applied' | 'rejected'; reason?: string }
  | { type: 'agent.connected'; identity: string; instanceId: string; version: string; source: string }
  | { type: 'agent.disconnected'; identity: string; instanceId: string; reason: string }
  | {
      type: 'tunnel.opened';
      tunnelId: string;
      client: string;
      agent: string;
      instanceId: string;
      target: string;
      remoteAddress: string;
      /** Time from the client's request to the agent's answer. */
      dialMs?: number;
    }
  | {
      type: 'tunnel.closed';
      tunnelId: string;
      client: string;
      agent: string;
      target: string;
      /** The address the agent resolved and dialled. */
      remoteAddress?: string;
      bytesUp: number;
      bytesDown: number;
      durationMs: number;
      reason: string;
    }
  | {
      type: 'deny';
      decision?: 'deny';
      layer: DenyLayer;
      identity: string;
      target?: string;
      reason: string;
      source?: string;
      /** The agent that was asked (or refused), when there was one. */
      agent?: string;
      /** The rule or check that decided, e.g. `acl rule 2`, `allowlist entry 0` or `acl:no-rule`. */
      rule?: string;
      /** The stable code of the check that refused (identity decisions). */
      code?: string;
    }
  | { type: 'dial.failed'; client: string; agent: string; target: string; result: string; reason: string; dialMs?: number };

export type AuditEventType = AuditEvent['type'];

/** Every event type, for validating `--type` and the like. */
export const AUDIT_EVENT_TYPES: readonly AuditEventType[] = [
  'token.accepted',
  'token.rejected',
  'certificate.issued',
  'identity.changed',
  'config.reloaded',
  'agent.connected',
  'agent.disconnected',
  'tunnel.opened',
  'tunnel.closed',
  'deny',
  'dial.failed',
];

/** A stamped record as sinks receive it. */
export type AuditRecord = Readonly<{ time: string; emitter: string } & AuditEvent>;

/** The identities a record is about, for `--identity` filters. */
export function identitiesOf(event: AuditEvent): string[] {
  switch (event.type) {
    case 'tunnel.opened':
    case 'tunnel.closed':
    case 'dial.failed':
      return [event.client, event.agent];
    case 'token.rejected':
    case 'config.reloaded':
      return [];
    default:
      return [event.identity];
  }
}
