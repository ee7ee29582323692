import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import { readCertificateFile } from './certificate-file.js';
import { isErrnoException } from './errno.js';
import { PkiError } from './errors.js';
import { FileSigner } from './file-signer.js';
import { privateKeyToPem, readPrivateKeyFile, writePrivateKeyFile } from './key-file.js';
import { leafTemplate } from './leaf-request.js';
import type { LeafRequest } from './leaf-request.js';
import { CLOCK_SKEW_MS, addYears, intermediateCaExtensions, randomSerialHex, rootCaExtensions } from './profiles.js';
import type { Signer } from './signer.js';
import { isValidTrustDomain } from './spiffe.js';
import { x509 } from './x509.js';

export type { LeafRequest } from './leaf-request.js';

/** Names of the files that make up a CA directory. */
export const CA_FILES = Object.freeze({
  rootCertificate: 'root.crt',
  rootKey: 'root.key',
  intermediateCertificate: 'intermediate.crt',
  intermediateKey: 'intermediate.key',
  config: 'ca.json',
  /** The intermediate that signed before the last rotation, kept in bundles during the overlap. */
  previousIntermediateCertificate: 'intermediate.previous.crt',
  /** `{ "until": ISO date }`: when the previous intermediate leaves the bundles. */
  previousIntermediateOverlap: 'intermediate.previous.json',
});

const CA_DIRECTORY_MODE = 0o700;
const CERTIFICATE_FILE_MODE = 0o644;
const ROOT_LIFETIME_YEARS = 10;
const INTERMEDIATE_LIFETIME_YEARS = 5;
const ORGANIZATION = 'Causeway';
const CA_KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

/** A leaf certificate issued by {@link CertificateAuthority.issueLeaf}. */
export interface IssuedLeaf {
  readonly certDer: Uint8Array;
  readonly certPem: string;
  /** Serial number as lower-case hexadecimal. */
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** The certificate authority of one trust domain: its root, and a signer for leaves. */
export class CertificateAuthority {
  readonly trustDomain: string;
  /** PEM of the root certificate: the trust anchor every party pins. */
  readonly rootPem: string;
  /** PEM of the intermediate certificate that signs leaves. */
  readonly intermediatePem: string;
  /** PEM of the certificates to send after a leaf so peers can build a path to the root. */
  readonly chainPem: string;
  /**
   * PEM of the root, the current intermediate and, during a rotation's overlap, the previous one:
   * what a verifier needs to accept a leaf of either intermediate even when it is sent alone.
   */
  readonly bundlePem: string;
  /** DER of the root certificate. */
  readonly rootDer: Uint8Array;
  /** DER of the intermediate certificate. */
  readonly intermediateDer: Uint8Array;
  readonly #signer: Signer;

  /**
   * @param trustDomain the trust domain named in every leaf's SPIFFE ID.
   * @param root the trust anchor.
   * @param signer the intermediate signer, whose certificate chains to `root`.
   */
  constructor(
    trustDomain: string,
    root: x509.X509Certificate,
    signer: Signer,
    previousIntermediates: readonly x509.X509Certificate[] = [],
  ) {
    if (!isValidTrustDomain(trustDomain)) {
      throw new PkiError('ERR_NAME_INVALID', 'invalid trust domain');
    }
    this.trustDomain = trustDomain;
    this.rootPem = toPem(root);
    this.intermediatePem = toPem(signer.certificate);
    this.chainPem = this.intermediatePem;
    this.bundlePem = [this.rootPem, this.intermediatePem, ...previousIntermediates.map(toPem)].join('');
    this.rootDer = new Uint8Array(root.rawData);
    this.intermediateDer = new Uint8Array(signer.certificate.rawData);
    this.#signer = signer;
  }

  /**
   * Issues a leaf certificate for a public key under a profile set entirely by the server.
   *
   * @throws {@link PkiError} `ERR_NAME_INVALID`, `ERR_LEAF_REQUEST_INVALID` or `ERR_CA_EXPIRED`.
   */
  async issueLeaf(request: LeafRequest): Promise<IssuedLeaf> {
    const template = await leafTemplate(request, this.#signer.certificate, this.trustDomain);
    const certificate = await this.#signer.sign(template);
    return {
      certDer: new Uint8Array(certificate.rawData),
      certPem: toPem(certificate),
      serialHex: certificate.serialNumber.toLowerCase(),
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
    };
  }
}

/** Options of {@link initCa}. */
export interface InitCaOptions {
  readonly trustDomain: string;
  readonly now?: Date;
  /** Encrypts both key files (PKCS#8, AES-256-CBC with PBKDF2) with this passphrase. */
  readonly passphrase?: string | undefined;
}

/**
 * Creates a new CA in `dir` (created with mode 0700 when missing): an ECDSA P-256 root valid for
 * 10 years and an intermediate valid for 5 years, with keys as PKCS#8 PEM files of mode 0600.
 *
 * @throws {@link PkiError} `ERR_NAME_INVALID` for a bad trust domain, `ERR_CA_EXISTS` when any CA
 *   file is already present.
 */
export async function initCa(dir: string, options: InitCaOptions): Promise<void> {
  const { trustDomain } = options;
  if (!isValidTrustDomain(trustDomain)) {
    throw new PkiError('ERR_NAME_INVALID', 'invalid trust domain');
  }
  await mkdir(dir, { recursive: true, mode: CA_DIRECTORY_MODE });
  await chmod(dir, CA_DIRECTORY_MODE);
  for (const name of Object.values(CA_FILES)) {
    if (await exists(join(dir, name))) {
      throw new PkiError('ERR_CA_EXISTS', `a CA already exists in ${dir} (found ${name}); refusing to overwrite it`);
    }
  }

  const notBefore = new Date((options.now ?? new Date()).getTime() - CLOCK_SKEW_MS);
  const rootKeys = await generateCaKeyPair();
  const rootPublicKey = await x509.PublicKey.create(rootKeys.publicKey);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    name: caName(`${trustDomain} Root CA`),
    keys: rootKeys,
    serialNumber: randomSerialHex(),
    notBefore,
    notAfter: addYears(notBefore, ROOT_LIFETIME_YEARS),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: await rootCaExtensions(rootPublicKey),
  });

  const { keys: intermediateKeys, certificate: intermediate } = await createIntermediate(
    trustDomain,
    new FileSigner(root, rootKeys.privateKey, 'P-256'),
    notBefore,
  );

  await writePrivateKeyFile(join(dir, CA_FILES.rootKey), privateKeyToPem(rootKeys.privateKey, options.passphrase));
  await writePrivateKeyFile(join(dir, CA_FILES.intermediateKey), privateKeyToPem(intermediateKeys.privateKey, options.passphrase));
  await writeNewFile(join(dir, CA_FILES.rootCertificate), toPem(root), CERTIFICATE_FILE_MODE);
  await writeNewFile(join(dir, CA_FILES.intermediateCertificate), toPem(intermediate), CERTIFICATE_FILE_MODE);
  await writeNewFile(join(dir, CA_FILES.config), `${JSON.stringify({ trustDomain }, null, 2)}\n`, CERTIFICATE_FILE_MODE);
}

/**
 * Loads the CA in `dir`. `root.key` may be absent (kept offline); when present it, like
 * `intermediate.key`, must not be accessible to group or others.
 *
 * @throws {@link PkiError} `ERR_CA_MISSING` naming a missing file, `ERR_CA_KEY_PERMISSIONS` for a
 *   key file with a too-open mode, `ERR_CA_INVALID` for inconsistent or unreadable files.
 */
export async function loadCa(dir: string, options: { passphrase?: string | undefined; now?: Date } = {}): Promise<CertificateAuthority> {
  const trustDomain = await readTrustDomain(join(dir, CA_FILES.config));
  try {
    // Only the mode is checked here; the root key is decrypted only to sign an intermediate.
    await readPrivateKeyFile(join(dir, CA_FILES.rootKey));
  } catch (error) {
    if (!(error instanceof PkiError && error.code === 'ERR_CA_MISSING')) {
      throw error;
    }
  }
  const root = await readCertificateFile(join(dir, CA_FILES.rootCertificate));
  const signer = await FileSigner.load(
    join(dir, CA_FILES.intermediateCertificate),
    join(dir, CA_FILES.intermediateKey),
    options.passphrase,
  );
  await assertIssuedBy(signer.certificate, root);
  const previous = await readPreviousIntermediate(dir, options.now ?? new Date());
  if (previous) await assertIssuedBy(previous, root);
  return new CertificateAuthority(trustDomain, root, signer, previous ? [previous] : []);
}

/**
 * A new intermediate CA key pair and certificate, valid for 5 years from `notBefore`, signed by
 * `rootSigner`.
 */
export async function createIntermediate(
  trustDomain: string,
  rootSigner: Signer,
  notBefore: Date,
): Promise<{ keys: webcrypto.CryptoKeyPair; certificate: x509.X509Certificate }> {
  const keys = await generateCaKeyPair();
  const publicKey = await x509.PublicKey.create(keys.publicKey);
  const certificate = await rootSigner.sign({
    subject: caName(`${trustDomain} Intermediate CA`),
    publicKey,
    serialNumber: randomSerialHex(),
    notBefore,
    notAfter: new Date(Math.min(addYears(notBefore, INTERMEDIATE_LIFETIME_YEARS).getTime(), rootSigner.certificate.notAfter.getTime())),
    extensions: await intermediateCaExtensions(publicKey, rootSigner.certificate),
  });
  return { keys, certificate };
}

/** The previous intermediate while its overlap lasts at `now`, else undefined. */
async function readPreviousIntermediate(dir: string, now: Date): Promise<x509.X509Certificate | undefined> {
  let overlap: { until?: unknown };
  try {
    overlap = JSON.parse(await readFile(join(dir, CA_FILES.previousIntermediateOverlap), 'utf8')) as { until?: unknown };
  } catch (cause) {
    if (isErrnoException(cause) && cause.code === 'ENOENT') return undefined;
    throw new PkiError('ERR_CA_INVALID', `${CA_FILES.previousIntermediateOverlap} is not valid JSON`, { cause });
  }
  const until = typeof overlap.until === 'string' ? new Date(overlap.until) : new Date(Number.NaN);
  if (Number.isNaN(until.getTime())) {
    throw new PkiError('ERR_CA_INVALID', `${CA_FILES.previousIntermediateOverlap}: "until" must be an ISO date`);
  }
  if (now >= until) return undefined;
  return readCertificateFile(join(dir, CA_FILES.previousIntermediateCertificate));
}

/**
 * The public half of a CA directory (trust domain and root), which credential files carry; needs no
 * key and no passphrase.
 */
export async function loadCaPublic(dir: string): Promise<{ trustDomain: string; rootPem: string }> {
  const trustDomain = await readTrustDomain(join(dir, CA_FILES.config));
  const root = await readCertificateFile(join(dir, CA_FILES.rootCertificate));
  return { trustDomain, rootPem: toPem(root) };
}

async function readTrustDomain(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if (isErrnoException(cause) && cause.code === 'ENOENT') {
      throw new PkiError('ERR_CA_MISSING', `CA file missing: ${path}`, { cause });
    }
    throw cause;
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (cause) {
    throw new PkiError('ERR_CA_INVALID', `${path} is not valid JSON`, { cause });
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new PkiError('ERR_CA_INVALID', `${path} must hold a JSON object`);
  }
  const unknownKeys = Object.keys(config).filter((key) => key !== 'trustDomain');
  if (unknownKeys.length > 0) {
    throw new PkiError('ERR_CA_INVALID', `${path}: unknown keys ${unknownKeys.join(', ')}`);
  }
  const { trustDomain } = config as { trustDomain?: unknown };
  if (typeof trustDomain !== 'string' || !isValidTrustDomain(trustDomain)) {
    throw new PkiError('ERR_CA_INVALID', `${path}: "trustDomain" must be a valid trust domain name`);
  }
  return trustDomain;
}

async function assertIssuedBy(certificate: x509.X509Certificate, issuer: x509.X509Certificate): Promise<void> {
  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  const signedByIssuer = await certificate
    .verify({ publicKey: issuer.publicKey, signatureOnly: true })
    .catch(() => false);
  if (constraints === null || !constraints.ca || !signedByIssuer) {
    throw new PkiError('ERR_CA_INVALID', 'the intermediate certificate is not a CA certificate signed by the root');
  }
}

function caName(commonName: string): x509.JsonName {
  return [{ CN: [commonName] }, { O: [ORGANIZATION] }];
}

function generateCaKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(CA_KEY_ALGORITHM, true, ['sign', 'verify']);
}

function toPem(certificate: x509.X509Certificate): string {
  return `${certificate.toString('pem')}\n`;
}

async function writeNewFile(path: string, contents: string, mode: number): Promise<void> {
  try {
    await writeFile(path, contents, { mode, flag: 'wx' });
  } catch (cause) {
    if (isErrnoException(cause) && cause.code === 'EEXIST') {
      throw new PkiError('ERR_CA_EXISTS', `refusing to overwrite ${path}`, { cause });
    }
    throw cause;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') {
      return false;
    }
    throw error;
  }
}
