import http2 from 'node:http2';
import { create, toBinary } from '@bufbuild/protobuf';
import type { JWK } from 'jose';
import { createIssuanceToken } from '../../src/auth/issuance-token.js';
import { createCsr, generateLeafKey, jwkThumbprint } from '../../src/pki/leaf-key.js';
import { IssueCertificateRequestSchema } from '../../src/protocol/gen/causeway/v1/identity_pb.js';
import { encodeMessage } from '../../src/protocol/message-framing.js';

/** The Identity service's one method. */
export const ISSUE = '/causeway.v1.Identity/IssueCertificate';

export interface CredentialFile {
  identity: string;
  keyId: string;
  privateKey: JWK;
  audience: string;
  caBundle: string;
}

/** Calls a method over a raw HTTP/2 connection and returns the gRPC status and first message. */
export async function rawCall(
  port: number,
  caPem: string,
  method: string,
  body: Buffer,
  tls: { cert?: string; key?: string } = {},
): Promise<{ status: number; message: string; payload: Buffer }> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca: caPem, servername: 'localhost', ...tls, checkServerIdentity: () => undefined });
  session.on('error', () => undefined);
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': method, 'content-type': 'application/grpc', te: 'trailers' });
      let status: number | undefined;
      let message = '';
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        if (h['grpc-status'] !== undefined) {
          status = Number(h['grpc-status']);
          message = decodeURIComponent(String(h['grpc-message'] ?? ''));
        }
      });
      stream.on('trailers', (h) => {
        status ??= Number(h['grpc-status']);
        message ||= decodeURIComponent(String(h['grpc-message'] ?? ''));
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', reject);
      stream.on('close', () => {
        if (status === undefined) reject(new Error(`no grpc-status (rst ${stream.rstCode})`));
        else resolve({ status, message, payload: Buffer.concat(chunks).subarray(5) });
      });
      stream.end(body);
    });
  } finally {
    session.destroy();
  }
}

/** A gRPC-framed IssueCertificate request: a fresh CSR and a JWT bound to its key (or one `token` makes). */
export async function issuanceRequest(cred: CredentialFile, token?: (cnf: string) => Promise<string>): Promise<Buffer> {
  const key = await generateLeafKey();
  const csrDer = await createCsr(key, cred.identity);
  const cnf = await jwkThumbprint(key.publicJwk);
  const jwt = token
    ? await token(cnf)
    : await createIssuanceToken({ identity: cred.identity, keyId: cred.keyId, privateJwk: cred.privateKey, audience: cred.audience, cnfJkt: cnf });
  return encodeMessage(toBinary(IssueCertificateRequestSchema, create(IssueCertificateRequestSchema, { token: jwt, csrDer })));
}

