/** The policy layer that refused: the `layer` of a `deny` audit event. */
export type DenyLayer = 'authn' | 'identity' | 'acl' | 'allowlist' | 'limit' | 'request';

const counts = new Map<DenyLayer, number>();

/**
 * Counts one deny. A plain in-process counter per layer (few, fixed label values) so a metrics
 * registry can expose it later as `causeway_denies_total{layer}` by reading {@link denyCounts}.
 */
export function countDeny(layer: DenyLayer): void {
  counts.set(layer, (counts.get(layer) ?? 0) + 1);
}

/** A snapshot of the deny counters since the process started. */
export function denyCounts(): Readonly<Record<DenyLayer, number>> {
  return {
    authn: counts.get('authn') ?? 0,
    identity: counts.get('identity') ?? 0,
    acl: counts.get('acl') ?? 0,
    allowlist: counts.get('allowlist') ?? 0,
    limit: counts.get('limit') ?? 0,
    request: counts.get('request') ?? 0,
  };
}
