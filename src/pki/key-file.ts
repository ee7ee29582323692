import { open, writeFile } from 'node:fs/promises';
import { createPrivateKey, KeyObject, webcrypto } from 'node:crypto';
import { isErrnoException } from './errno.js';
import { PkiError } from './errors.js';
import { importAlgorithmFor } from './key-types.js';
import type { KeyType } from './key-types.js';

/** File mode for private keys: owner read/write only. */
export const PRIVATE_KEY_FILE_MODE = 0o600;
const GROUP_OR_OTHER_BITS = 0o077;

/** Cipher of passphrase-encrypted PKCS#8 key files (PBES2 with PBKDF2, as OpenSSL writes them). */
const KEY_FILE_CIPHER = 'aes-256-cbc';
const ENCRYPTED_PEM_LABEL = '-----BEGIN ENCRYPTED PRIVATE KEY-----';

/** Encodes an extractable private key as PKCS#8 PEM, encrypted when a passphrase is given. */
export function privateKeyToPem(key: webcrypto.CryptoKey, passphrase?: string): string {
  const object = KeyObject.from(key);
  return (
    passphrase === undefined
      ? object.export({ type: 'pkcs8', format: 'pem' })
      : object.export({ type: 'pkcs8', format: 'pem', cipher: KEY_FILE_CIPHER, passphrase })
  ).toString();
}

/**
 * Decodes a PKCS#8 PEM private key, decrypting it with `passphrase` when it is encrypted.
 *
 * @throws {@link PkiError} `ERR_CA_PASSPHRASE` when the key is encrypted and the passphrase is
 *   missing or wrong.
 */
export function decodePrivateKeyPem(pem: string, passphrase: string | undefined, path = 'private key'): KeyObject {
  const encrypted = pem.includes(ENCRYPTED_PEM_LABEL);
  if (encrypted && passphrase === undefined) {
    throw new PkiError(
      'ERR_CA_PASSPHRASE',
      `${path} is encrypted; give its passphrase (CAUSEWAY_CA_PASSPHRASE, CAUSEWAY_CA_PASSPHRASE_FILE or caPassphraseFile)`,
    );
  }
  try {
    return createPrivateKey(encrypted ? { key: pem, format: 'pem', passphrase: passphrase! } : { key: pem, format: 'pem' });
  } catch (cause) {
    if (encrypted) throw new PkiError('ERR_CA_PASSPHRASE', `${path}: the passphrase does not decrypt it`, { cause });
    throw cause;
  }
}

/** Imports a PKCS#8 PEM private key of a known type as a non-extractable signing key. */
export function importPrivateKeyPem(pem: string, keyType: KeyType, passphrase?: string): Promise<webcrypto.CryptoKey> {
  const der = decodePrivateKeyPem(pem, passphrase).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, importAlgorithmFor(keyType), false, ['sign']);
}

/**
 * Writes a private key file with mode 0600, refusing to replace an existing file.
 *
 * @throws {@link PkiError} `ERR_CA_EXISTS` when the file already exists.
 */
export async function writePrivateKeyFile(path: string, pem: string): Promise<void> {
  try {
    await writeFile(path, pem, { mode: PRIVATE_KEY_FILE_MODE, flag: 'wx' });
  } catch (cause) {
    if (isErrnoException(cause) && cause.code === 'EEXIST') {
      throw new PkiError('ERR_CA_EXISTS', `refusing to overwrite existing key file ${path}`, { cause });
    }
    throw cause;
  }
}

/**
 * Reads a private key file after checking, on the open descriptor, that it is a regular file that
 * neither group nor others can access.
 *
 * @throws {@link PkiError} `ERR_CA_MISSING` when the file does not exist,
 *   `ERR_CA_KEY_PERMISSIONS` when its mode is too open.
 */
export async function readPrivateKeyFile(path: string): Promise<string> {
  const handle = await openExisting(path);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new PkiError('ERR_CA_INVALID', `${path} is not a regular file`);
    }
    if (process.platform !== 'win32' && (stats.mode & GROUP_OR_OTHER_BITS) !== 0) {
      const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
      throw new PkiError(
        'ERR_CA_KEY_PERMISSIONS',
        `private key ${path} has mode ${mode}; run: chmod 600 ${path}`,
      );
    }
    return await handle.readFile({ encoding: 'utf8' });
  } finally {
    await handle.close();
  }
}

async function openExisting(path: string) {
  try {
    return await open(path, 'r');
  } catch (cause) {
    if (isErrnoException(cause) && cause.code === 'ENOENT') {
      throw new PkiError('ERR_CA_MISSING', `CA file missing: ${path}`, { cause });
    }
    throw cause;
  }
}
