import type { AuditEvent } from '../audit/events.js';

/** What the server remembers of an identity to notice changes made by admin commands. */
export interface IdentityView {
  name: string;
  enabled: boolean;
  keys: readonly { keyId: string }[];
}

/**
 * The `identity.changed` events between two views of the registry: created, removed, enabled,
 * disabled, key added, key removed. Pure, so the sweep that applies registry changes can audit them.
 */
export function identityChanges(before: ReadonlyMap<string, IdentityView>, after: readonly IdentityView[]): AuditEvent[] {
  const events: AuditEvent[] = [];
  const seen = new Set<string>();
  for (const now of after) {
    seen.add(now.name);
    const was = before.get(now.name);
    if (!was) {
      events.push({ type: 'identity.changed', identity: now.name, change: 'created' });
      continue;
    }
    if (was.enabled !== now.enabled) events.push({ type: 'identity.changed', identity: now.name, change: now.enabled ? 'enabled' : 'disabled' });
    const oldKeys = new Set(was.keys.map((k) => k.keyId));
    const newKeys = new Set(now.keys.map((k) => k.keyId));
    for (const k of newKeys) if (!oldKeys.has(k)) events.push({ type: 'identity.changed', identity: now.name, change: 'key-added', keyId: k });
    for (const k of oldKeys) if (!newKeys.has(k)) events.push({ type: 'identity.changed', identity: now.name, change: 'key-removed', keyId: k });
  }
  for (const name of before.keys()) if (!seen.has(name)) events.push({ type: 'identity.changed', identity: name, change: 'removed' });
  return events;
}

/** A snapshot keyed by name, for the next comparison. */
export function viewOf(records: readonly IdentityView[]): Map<string, IdentityView> {
  return new Map(records.map((r) => [r.name, { name: r.name, enabled: r.enabled, keys: r.keys.map((k) => ({ keyId: k.keyId })) }]));
}
