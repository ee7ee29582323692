import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CA_FILES, createIntermediate, loadCa } from './ca.js';
import { FileSigner } from './file-signer.js';
import { privateKeyToPem, writePrivateKeyFile } from './key-file.js';

/** Options of {@link rotateIntermediate}. */
export interface RotateIntermediateOptions {
  /** Passphrase of the CA key files, when they are encrypted. */
  readonly passphrase?: string | undefined;
  /**
   * How long the previous intermediate stays in the bundles; at least the leaf lifetime, so every
   * leaf it signed expires before it leaves.
   */
  readonly overlapMs: number;
  readonly now?: Date;
}

const CERTIFICATE_FILE_MODE = 0o644;

/**
 * Replaces the intermediate CA: a new key pair and certificate signed by the root (whose key must be
 * present). The old certificate is kept as `intermediate.previous.crt` and stays in the bundles until
 * the overlap ends, so leaves it signed keep verifying everywhere; its key is deleted. A running
 * server signs with the new intermediate after a restart.
 *
 * @throws {@link PkiError} `ERR_CA_MISSING` when the root key is absent, `ERR_CA_PASSPHRASE`,
 *   `ERR_CA_KEY_PERMISSIONS` or `ERR_CA_INVALID`.
 */
export async function rotateIntermediate(
  dir: string,
  options: RotateIntermediateOptions,
): Promise<{ serial: string; previousSerial: string; overlapUntil: Date }> {
  const now = options.now ?? new Date();
  const current = await loadCa(dir, { passphrase: options.passphrase, now });
  const rootSigner = await FileSigner.load(join(dir, CA_FILES.rootCertificate), join(dir, CA_FILES.rootKey), options.passphrase);
  const previous = await FileSigner.load(join(dir, CA_FILES.intermediateCertificate), join(dir, CA_FILES.intermediateKey), options.passphrase);
  const { keys, certificate } = await createIntermediate(current.trustDomain, rootSigner, now);
  const overlapUntil = new Date(now.getTime() + options.overlapMs);

  const staged = { key: join(dir, `${CA_FILES.intermediateKey}.new`), cert: join(dir, `${CA_FILES.intermediateCertificate}.new`) };
  await rm(staged.key, { force: true });
  await rm(staged.cert, { force: true });
  await writePrivateKeyFile(staged.key, privateKeyToPem(keys.privateKey, options.passphrase));
  await writeFile(staged.cert, `${certificate.toString('pem')}\n`, { mode: CERTIFICATE_FILE_MODE });
  await writeFile(join(dir, CA_FILES.previousIntermediateCertificate), `${previous.certificate.toString('pem')}\n`, {
    mode: CERTIFICATE_FILE_MODE,
  });
  await writeFile(
    join(dir, CA_FILES.previousIntermediateOverlap),
    `${JSON.stringify({ until: overlapUntil.toISOString(), serial: previous.certificate.serialNumber.toLowerCase() }, null, 2)}\n`,
    { mode: CERTIFICATE_FILE_MODE },
  );
  // Key before certificate: a crash in between leaves a key that does not match, which loadCa refuses
  // loudly, rather than a silent mix.
  await rename(staged.key, join(dir, CA_FILES.intermediateKey));
  await rename(staged.cert, join(dir, CA_FILES.intermediateCertificate));
  return { serial: certificate.serialNumber.toLowerCase(), previousSerial: previous.certificate.serialNumber.toLowerCase(), overlapUntil };
}
