import { createPublicKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import { readCertificateFile } from './certificate-file.js';
import { PkiError } from './errors.js';
import { decodePrivateKeyPem, importPrivateKeyPem, readPrivateKeyFile } from './key-file.js';
import { classifyPublicKey, signingAlgorithmFor } from './key-types.js';
import type { KeyType } from './key-types.js';
import type { CertificateTemplate, Signer } from './signer.js';
import { x509 } from './x509.js';

/**
 * A {@link Signer} whose private key is held in process memory, typically loaded from a 0600 PEM
 * file next to its certificate by {@link FileSigner.load}.
 */
export class FileSigner implements Signer {
  readonly certificate: x509.X509Certificate;
  readonly #privateKey: webcrypto.CryptoKey;
  readonly #signingAlgorithm: webcrypto.Algorithm;

  /**
   * @param certificate certificate of `privateKey`.
   * @param privateKey signing key; it may be non-extractable.
   * @param keyType type of `privateKey`.
   */
  constructor(certificate: x509.X509Certificate, privateKey: webcrypto.CryptoKey, keyType: KeyType) {
    this.certificate = certificate;
    this.#privateKey = privateKey;
    this.#signingAlgorithm = signingAlgorithmFor(keyType);
  }

  /**
   * Loads a certificate and its private key from PEM files, refusing a key file that group or
   * others can read and a key that does not match the certificate.
   *
   * @throws {@link PkiError} `ERR_CA_MISSING`, `ERR_CA_KEY_PERMISSIONS` or `ERR_CA_INVALID`.
   */
  static async load(certificatePath: string, privateKeyPath: string, passphrase?: string): Promise<FileSigner> {
    const certificate = await readCertificateFile(certificatePath);
    const keyPem = await readPrivateKeyFile(privateKeyPath);
    const spki = new Uint8Array(certificate.publicKey.rawData);
    const classification = classifyPublicKey(spki);
    if (!classification.supported) {
      throw new PkiError('ERR_CA_INVALID', `${certificatePath}: ${classification.reason}`);
    }
    let privateKey: webcrypto.CryptoKey;
    try {
      if (!sameKey(spki, decodePrivateKeyPem(keyPem, passphrase, privateKeyPath))) {
        throw new PkiError('ERR_CA_INVALID', `${privateKeyPath} is not the key of ${certificatePath}`);
      }
      privateKey = await importPrivateKeyPem(keyPem, classification.keyType, passphrase);
    } catch (cause) {
      if (cause instanceof PkiError) {
        throw cause;
      }
      throw new PkiError('ERR_CA_INVALID', `${privateKeyPath} does not hold a usable PKCS#8 PEM private key`, {
        cause,
      });
    }
    return new FileSigner(certificate, privateKey, classification.keyType);
  }

  async sign(template: CertificateTemplate): Promise<x509.X509Certificate> {
    return x509.X509CertificateGenerator.create({
      subject: template.subject,
      issuer: this.certificate.subjectName,
      publicKey: template.publicKey,
      serialNumber: template.serialNumber,
      notBefore: template.notBefore,
      notAfter: template.notAfter,
      extensions: [...template.extensions],
      signingKey: this.#privateKey,
      signingAlgorithm: this.#signingAlgorithm,
    });
  }
}

function sameKey(certificateSpki: Uint8Array, privateKey: KeyObject): boolean {
  const derived = createPublicKey(privateKey).export({
    type: 'spki',
    format: 'der',
  });
  return derived.length === certificateSpki.length && timingSafeEqual(derived, certificateSpki);
}
