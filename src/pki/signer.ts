import type { x509 } from './x509.js';

/**
 * Everything a {@link Signer} needs to produce a certificate. The issuer name and the signature
 * algorithm come from the signer itself.
 */
export interface CertificateTemplate {
  readonly subject: x509.JsonName;
  readonly publicKey: x509.PublicKey;
  /** Positive serial number as hexadecimal, without a leading zero octet. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: readonly x509.Extension[];
}

/**
 * A certificate authority key that signs certificates. The default implementation
 * ({@link FileSigner}) holds the key in process memory; an external CA or KMS can implement the
 * same interface.
 */
export interface Signer {
  /** The certificate of the signing key; it names the issuer of every certificate signed. */
  readonly certificate: x509.X509Certificate;
  /** Signs `template` and returns the certificate. */
  sign(template: CertificateTemplate): Promise<x509.X509Certificate>;
}
