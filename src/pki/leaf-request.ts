import { isIP } from 'node:net';
import type { webcrypto } from 'node:crypto';
import { PkiError } from './errors.js';
import { classifyPublicKey } from './key-types.js';
import { CLOCK_SKEW_MS, endEntityExtensions, randomSerialHex } from './profiles.js';
import type { CertificateTemplate } from './signer.js';
import { isRole, spiffeId } from './spiffe.js';
import type { Role } from './spiffe.js';
import { x509 } from './x509.js';

/**
 * What the server decided to certify. Only the public key comes from the requester; every name is
 * chosen by the server, never copied from a CSR.
 */
export interface LeafRequest {
  readonly publicKey: webcrypto.CryptoKey;
  readonly identity: string;
  readonly role: Role;
  readonly lifetimeMs: number;
  readonly now?: Date;
  /** Extra DNS SANs; allowed for the `server` role only. */
  readonly dnsNames?: readonly string[];
  /** Extra IP SANs; allowed for the `server` role only. */
  readonly ipAddresses?: readonly string[];
}

const DNS_NAME_PATTERN =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const EXTENDED_KEY_USAGES: Readonly<Record<Role, readonly x509.ExtendedKeyUsage[]>> = {
  agent: [x509.ExtendedKeyUsage.clientAuth],
  client: [x509.ExtendedKeyUsage.clientAuth],
  server: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
};

/**
 * Builds the leaf certificate template for `request`, to be signed by `issuer`.
 *
 * The validity runs from one clock-skew allowance before `now` for `lifetimeMs` after it, clamped
 * to the issuer's own validity.
 *
 * @throws {@link PkiError} `ERR_NAME_INVALID`, `ERR_LEAF_REQUEST_INVALID` or `ERR_CA_EXPIRED`.
 */
export async function leafTemplate(
  request: LeafRequest,
  issuer: x509.X509Certificate,
  trustDomain: string,
): Promise<CertificateTemplate> {
  const { identity, role, lifetimeMs } = request;
  if (!isRole(role)) {
    throw new PkiError('ERR_NAME_INVALID', 'invalid role');
  }
  const uri = spiffeId(trustDomain, role, identity);
  if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs <= 0) {
    throw new PkiError('ERR_LEAF_REQUEST_INVALID', 'leaf lifetime must be a positive number of milliseconds');
  }
  const dnsNames = request.dnsNames ?? [];
  const ipAddresses = request.ipAddresses ?? [];
  if (role !== 'server' && (dnsNames.length > 0 || ipAddresses.length > 0)) {
    throw new PkiError('ERR_LEAF_REQUEST_INVALID', 'DNS and IP names are allowed for the server role only');
  }
  const badDnsName = dnsNames.find((name) => !DNS_NAME_PATTERN.test(name));
  if (badDnsName !== undefined) {
    throw new PkiError('ERR_LEAF_REQUEST_INVALID', `invalid DNS name: ${JSON.stringify(badDnsName)}`);
  }
  const badIp = ipAddresses.find((address) => isIP(address) === 0);
  if (badIp !== undefined) {
    throw new PkiError('ERR_LEAF_REQUEST_INVALID', `invalid IP address: ${JSON.stringify(badIp)}`);
  }
  if (request.publicKey.type !== 'public') {
    throw new PkiError('ERR_LEAF_REQUEST_INVALID', 'a public key is required');
  }
  const publicKey = await x509.PublicKey.create(request.publicKey);
  const classification = classifyPublicKey(new Uint8Array(publicKey.rawData));
  if (!classification.supported) {
    throw new PkiError('ERR_LEAF_REQUEST_INVALID', classification.reason);
  }

  const now = request.now ?? new Date();
  if (now < issuer.notBefore || now >= issuer.notAfter) {
    throw new PkiError('ERR_CA_EXPIRED', 'the issuing CA certificate is not valid at this time');
  }
  const notBefore = new Date(Math.max(now.getTime() - CLOCK_SKEW_MS, issuer.notBefore.getTime()));
  const notAfter = new Date(Math.min(now.getTime() + lifetimeMs, issuer.notAfter.getTime()));

  const subjectAltNames: x509.JsonGeneralName[] = [
    ...(identity.includes('@') ? [{ type: 'email' as const, value: identity }] : []),
    { type: 'url', value: uri },
    ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ];
  return {
    subject: [{ CN: [identity] }],
    publicKey,
    serialNumber: randomSerialHex(),
    notBefore,
    notAfter,
    extensions: await endEntityExtensions({
      publicKey,
      issuer,
      subjectAltNames,
      extendedKeyUsages: EXTENDED_KEY_USAGES[role],
    }),
  };
}
