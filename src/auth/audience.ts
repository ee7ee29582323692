/** The `aud` every issuance JWT for a trust domain must carry, exactly. */
export function audienceFor(trustDomain: string): string {
  return `spiffe://${trustDomain}/server`;
}
