import { parseSpiffeId } from '../pki/spiffe.js';
import type { Role } from '../pki/spiffe.js';
import { x509 } from '../pki/x509.js';
import { AuthError } from './errors.js';

/** Who a verified peer certificate names. */
export interface PeerIdentity {
  readonly identity: string;
  readonly role: Role;
  readonly spiffeId: string;
  /** Serial number as lower-case hexadecimal. */
  readonly serialHex: string;
  readonly notAfter: Date;
}

const SPIFFE_URI_PREFIX = 'spiffe://';

/**
 * Reads the identity from a peer's leaf certificate. The TLS layer must already have verified the
 * chain to the trust domain's root; this only checks that the certificate carries exactly one
 * SPIFFE ID of `trustDomain` with a known role, that any email SAN equals the identity, that it is
 * not a CA certificate and that it allows client authentication.
 *
 * @throws {@link AuthError} `ERR_PEER_CERT` with the reason.
 */
export function peerIdentityFromCertificate(der: Uint8Array, trustDomain: string): PeerIdentity {
  let certificate: x509.X509Certificate;
  let names: readonly x509.GeneralName[];
  let extendedKeyUsage: x509.ExtendedKeyUsageExtension | null;
  let basicConstraints: x509.BasicConstraintsExtension | null;
  try {
    certificate = new x509.X509Certificate(der);
    names = certificate.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
    extendedKeyUsage = certificate.getExtension(x509.ExtendedKeyUsageExtension);
    basicConstraints = certificate.getExtension(x509.BasicConstraintsExtension);
  } catch (cause) {
    throw refused('certificate cannot be parsed', cause);
  }

  const spiffeIds = names.filter((name) => name.type === 'url' && name.value.startsWith(SPIFFE_URI_PREFIX));
  if (spiffeIds.length !== 1) {
    throw refused(`certificate must carry exactly one SPIFFE ID, found ${spiffeIds.length}`);
  }
  const spiffeId = spiffeIds[0]!.value;
  const parsed = parseSpiffeId(spiffeId);
  if (parsed === undefined) {
    throw refused('certificate SPIFFE ID is not spiffe://<trust-domain>/<role>/<identity> with a known role');
  }
  if (parsed.trustDomain !== trustDomain) {
    throw refused('certificate belongs to another trust domain');
  }
  if (names.some((name) => name.type === 'email' && name.value !== parsed.identity)) {
    throw refused('certificate email SAN does not match its SPIFFE ID');
  }
  if (basicConstraints?.ca === true) {
    throw refused('a CA certificate cannot identify a peer');
  }
  if (!extendedKeyUsage?.usages.includes(x509.ExtendedKeyUsage.clientAuth)) {
    throw refused('certificate does not allow client authentication');
  }
  return {
    identity: parsed.identity,
    role: parsed.role,
    spiffeId,
    serialHex: certificate.serialNumber.toLowerCase(),
    notAfter: certificate.notAfter,
  };
}

function refused(reason: string, cause?: unknown): AuthError {
  return new AuthError('ERR_PEER_CERT', `peer certificate refused: ${reason}`, { cause });
}
