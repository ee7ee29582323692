import { randomBytes } from 'node:crypto';
import { x509 } from './x509.js';

/** How far back `notBefore` is set, to tolerate relying parties whose clocks run behind. */
export const CLOCK_SKEW_MS = 60_000;

const SERIAL_NUMBER_BYTES = 16;
const SERIAL_SIGN_BIT_CLEAR = 0x7f;
const SERIAL_LEADING_BIT = 0x40;

/**
 * A random 16-byte positive serial number as lower-case hexadecimal. The top bit is cleared so the
 * integer is positive and the next bit is set so DER keeps all 16 octets.
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(SERIAL_NUMBER_BYTES);
  bytes[0] = (bytes[0]! & SERIAL_SIGN_BIT_CLEAR) | SERIAL_LEADING_BIT;
  return bytes.toString('hex');
}

/** The date `years` calendar years after `from`. */
export function addYears(from: Date, years: number): Date {
  const date = new Date(from.getTime());
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return date;
}

/** Extensions of a self-signed root CA certificate. */
export async function rootCaExtensions(publicKey: x509.PublicKey): Promise<x509.Extension[]> {
  return [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
  ];
}

/** Extensions of an intermediate CA that may sign leaves only (path length 0). */
export async function intermediateCaExtensions(
  publicKey: x509.PublicKey,
  issuer: x509.X509Certificate,
): Promise<x509.Extension[]> {
  return [
    new x509.BasicConstraintsExtension(true, 0, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    await authorityKeyIdentifier(issuer),
  ];
}

/** What distinguishes one kind of end-entity certificate from another. */
export interface EndEntityProfile {
  readonly publicKey: x509.PublicKey;
  readonly issuer: x509.X509Certificate;
  readonly subjectAltNames: readonly x509.JsonGeneralName[];
  readonly extendedKeyUsages: readonly x509.ExtendedKeyUsage[];
}

/** Extensions of an end-entity (leaf) certificate. */
export async function endEntityExtensions(profile: EndEntityProfile): Promise<x509.Extension[]> {
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([...profile.extendedKeyUsages], false),
    new x509.SubjectAlternativeNameExtension([...profile.subjectAltNames], false),
    await x509.SubjectKeyIdentifierExtension.create(profile.publicKey),
    await authorityKeyIdentifier(profile.issuer),
  ];
}

/**
 * The Authority Key Identifier for certificates signed by `issuer`: the issuer's own Subject Key
 * Identifier when it has one, so the two always match, else one derived from its public key.
 */
export async function authorityKeyIdentifier(
  issuer: x509.X509Certificate,
): Promise<x509.AuthorityKeyIdentifierExtension> {
  const subjectKeyId = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  if (subjectKeyId !== null) {
    return new x509.AuthorityKeyIdentifierExtension(subjectKeyId.keyId);
  }
  return x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey);
}
