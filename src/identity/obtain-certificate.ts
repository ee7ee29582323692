import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { JWK } from 'jose';
import { createIssuanceToken } from '../auth/issuance-token.js';
import { createCsr, generateLeafKey, jwkThumbprint } from '../pki/leaf-key.js';
import { IssueCertificateRequestSchema, IssueCertificateResponseSchema } from '../protocol/gen/causeway/v1/identity_pb.js';
import { GrpcChannel } from '../protocol/grpc-channel.js';
import type { EgressProxy } from '../protocol/http-connect.js';

/** What a party needs to prove who it is: the credential file's contents. */
export interface PartyCredential {
  identity: string;
  keyId: string;
  privateKey: JWK;
  /**
   * When set, the party proves who it is with the workload token in this file (re-read on every
   * issuance, since the platform rotates it) instead of a service-account key.
   */
  workloadTokenFile?: string;
  server: string;
  serverName: string;
  audience: string;
  caBundle: string;
}

/** A certificate this process holds, with its key (in memory only). */
export interface HeldCertificate {
  identity: string;
  /** Leaf then intermediates, PEM. */
  chainPem: string;
  keyPem: string;
  /** Roots to trust for the server. */
  trustPem: string;
  serialHex: string;
  notAfter: Date;
  refreshAt: Date;
}

export const ISSUE_CERTIFICATE_METHOD = '/causeway.v1.Identity/IssueCertificate';

const MAX_WORKLOAD_TOKEN_BYTES = 16 * 1024;

async function readWorkloadToken(file: string): Promise<string> {
  const text = (await readFile(file, 'utf8')).trim();
  if (text.length === 0 || text.length > MAX_WORKLOAD_TOKEN_BYTES) throw new Error(`${file}: expected a JWT of at most ${MAX_WORKLOAD_TOKEN_BYTES} bytes`);
  return text;
}

function derToPem(der: Uint8Array): string {
  return new X509Certificate(Buffer.from(der)).toString();
}

/**
 * Gets a fresh certificate: a new key pair made here (never written anywhere), a CSR for it, and a
 * short-lived JWT signed with the service-account key that binds the request to that key (`cnf.jkt`).
 */
export async function obtainCertificate(
  credential: PartyCredential,
  address: string,
  timeouts: { connectMs: number; callMs: number },
  proxy?: EgressProxy,
): Promise<HeldCertificate> {
  const key = await generateLeafKey();
  const csrDer = await createCsr(key, credential.identity);
  const token = credential.workloadTokenFile
    ? await readWorkloadToken(credential.workloadTokenFile)
    : await createIssuanceToken({
        identity: credential.identity,
        keyId: credential.keyId,
        privateJwk: credential.privateKey,
        audience: credential.audience,
        cnfJkt: await jwkThumbprint(key.publicJwk),
      });
  const channel = new GrpcChannel({
    address,
    serverName: credential.serverName,
    ca: credential.caBundle,
    connectTimeoutMs: timeouts.connectMs,
    proxy,
    keepaliveIntervalMs: 60_000,
    keepaliveTimeoutMs: 20_000,
    maxConcurrentStreams: 10,
  });
  try {
    const request = create(IssueCertificateRequestSchema, { token, csrDer });
    const bytes = await channel.unary(ISSUE_CERTIFICATE_METHOD, toBinary(IssueCertificateRequestSchema, request), timeouts.callMs);
    const response = fromBinary(IssueCertificateResponseSchema, bytes);
    const leafPem = derToPem(response.certificateDer);
    const leaf = new X509Certificate(leafPem);
    return {
      identity: response.identity,
      chainPem: leafPem + response.chainDer.map(derToPem).join(''),
      keyPem: key.privateKeyPem,
      trustPem: credential.caBundle,
      serialHex: leaf.serialNumber,
      notAfter: new Date(Number(response.notAfterMs)),
      refreshAt: new Date(Number(response.refreshAtMs)),
    };
  } finally {
    channel.destroy();
  }
}
