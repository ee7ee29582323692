import { readFile } from 'node:fs/promises';
import { isErrnoException } from './errno.js';
import { PkiError } from './errors.js';
import { x509 } from './x509.js';

/**
 * Reads a PEM certificate file.
 *
 * @throws {@link PkiError} `ERR_CA_MISSING` when the file does not exist, `ERR_CA_INVALID` when it
 *   does not hold a certificate.
 */
export async function readCertificateFile(path: string): Promise<x509.X509Certificate> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (cause) {
    if (isErrnoException(cause) && cause.code === 'ENOENT') {
      throw new PkiError('ERR_CA_MISSING', `CA file missing: ${path}`, { cause });
    }
    throw cause;
  }
  try {
    return new x509.X509Certificate(pem);
  } catch (cause) {
    throw new PkiError('ERR_CA_INVALID', `${path} does not hold a PEM certificate`, { cause });
  }
}
