/**
 * Stable codes for every failure raised by the PKI layer.
 *
 * - `ERR_CSR_INVALID`: the CSR is not well-formed DER PKCS#10.
 * - `ERR_CSR_TOO_LARGE`: the CSR exceeds the size cap.
 * - `ERR_CSR_SIGNATURE`: the CSR self-signature does not verify.
 * - `ERR_CSR_KEY_UNSUPPORTED`: the CSR key type or size is not accepted.
 * - `ERR_CA_EXISTS`: a CA already exists in the target directory.
 * - `ERR_CA_MISSING`: a CA file is missing.
 * - `ERR_CA_KEY_PERMISSIONS`: a CA private key file is readable by group or others.
 * - `ERR_CA_INVALID`: the CA files are inconsistent or unreadable.
 * - `ERR_CA_PASSPHRASE`: a CA key is encrypted and no passphrase, or a wrong one, was given.
 * - `ERR_CA_EXPIRED`: the issuing certificate is outside its validity period.
 * - `ERR_NAME_INVALID`: a trust domain, identity or role is not acceptable.
 * - `ERR_LEAF_REQUEST_INVALID`: a leaf issuance request is not acceptable.
 */
export type PkiErrorCode =
  | 'ERR_CSR_INVALID'
  | 'ERR_CSR_TOO_LARGE'
  | 'ERR_CSR_SIGNATURE'
  | 'ERR_CSR_KEY_UNSUPPORTED'
  | 'ERR_CA_EXISTS'
  | 'ERR_CA_MISSING'
  | 'ERR_CA_KEY_PERMISSIONS'
  | 'ERR_CA_INVALID'
  | 'ERR_CA_PASSPHRASE'
  | 'ERR_CA_EXPIRED'
  | 'ERR_NAME_INVALID'
  | 'ERR_LEAF_REQUEST_INVALID';

/**
 * Error raised by the PKI layer. `message` is safe to show to the caller; the underlying failure,
 * if any, is kept in `cause` for the log.
 */
export class PkiError extends Error {
  override readonly name = 'PkiError';
  readonly code: PkiErrorCode;

  constructor(code: PkiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
