import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { identityDecisions } from '../auth/decision-counters.js';
import { AuthError } from '../auth/errors.js';
import { decideAccess, type AccessRefusalCode } from '../auth/peer-access.js';
import { verifyIssuanceToken } from '../auth/verify-issuance-token.js';
import type { WorkloadTokenVerifier } from '../auth/workload-token.js';
import { parseAndVerifyCsr } from '../pki/csr.js';
import { PkiError } from '../pki/errors.js';
import { RegistryError } from '../registry/identity-store.js';
import { IssueCertificateRequestSchema, IssueCertificateResponseSchema } from '../protocol/gen/causeway/v1/identity_pb.js';
import type { CallHandler } from '../protocol/grpc-server.js';
import { GrpcError, GrpcStatus } from '../protocol/grpc-status.js';
import type { ServerContext } from './context.js';
import { storeUnavailableMessage } from './peer-access.js';
import { peerAddress } from './peer.js';

const MAX_REQUEST_BYTES = 64 * 1024;
/** The whole call (request upload included) must finish within this. */
const CALL_DEADLINE_MS = 10_000;

/**
 * Identity.IssueCertificate: a service-account JWT bound to a fresh key's CSR buys a short-lived leaf
 * whose names come from the registry, never from the CSR.
 */
export function issueCertificateHandler(ctx: ServerContext): CallHandler {
  return async (call) => {
    const source = peerAddress(call);
    const deadline = setTimeout(() => call.finish(GrpcStatus.DEADLINE_EXCEEDED, 'the request took too long'), CALL_DEADLINE_MS);
    try {
      const request = fromBinary(IssueCertificateRequestSchema, await call.readUnary(MAX_REQUEST_BYTES));
      const csr = await parseAndVerifyCsr(request.csrDer);
      const workload = ctx.workloadTokens?.claimsTrustedIssuer(request.token) ? ctx.workloadTokens : undefined;
      const verified = workload
        ? await verifyWorkload(workload, request.token)
        : await verifyIssuanceToken(request.token, {
        audience: ctx.audience,
        csrThumbprint: csr.thumbprint,
        replay: ctx.replay,
        lookupKey: async (kid) => {
          const found = await ctx.registry.findKey(kid);
          return found ? { identity: found.record.name, publicJwk: found.key.publicJwk, enabled: found.record.enabled } : undefined;
        },
      });
      const record = await ctx.registry.get(verified.identity);
      const decision = decideAccess({
        identity: verified.identity,
        // A workload token may only ever stand for a client.
        role: workload ? 'client' : (record?.role ?? 'client'),
        record,
        issuance: 'not-a-certificate',
        sourceIp: call.socket.remoteAddress,
      });
      if (!decision.allow || !record) {
        const refusal = decision.allow ? { code: 'ERR_IDENTITY_UNKNOWN' as const, reason: 'identity vanished' } : decision;
        throw new AccessRefused(refusal.code, refusal.reason, verified.identity);
      }
      ctx.audit.record({ type: 'token.accepted', identity: verified.identity, keyId: verified.keyId, source });
      const now = new Date();
      const leaf = await ctx.ca.issueLeaf({
        publicKey: csr.publicKey,
        identity: record.name,
        role: record.role,
        lifetimeMs: ctx.certLifetimeMs,
        now,
      });
      await ctx.registry.recordIssuance({ serial: leaf.serialHex, identity: record.name, keyId: verified.keyId, notAfter: leaf.notAfter }, now);
      identityDecisions.increment('issuance');
      ctx.audit.record({
        type: 'certificate.issued',
        identity: record.name,
        role: record.role,
        serial: leaf.serialHex,
        notAfter: leaf.notAfter.toISOString(),
      });
      ctx.log.info({ identity: record.name, serial: leaf.serialHex, notAfter: leaf.notAfter }, 'certificate issued');
      const lifetime = leaf.notAfter.getTime() - now.getTime();
      const response = create(IssueCertificateResponseSchema, {
        certificateDer: leaf.certDer,
        chainDer: [ctx.ca.intermediateDer],
        trustBundleDer: [ctx.ca.rootDer],
        notAfterMs: BigInt(leaf.notAfter.getTime()),
        refreshAtMs: BigInt(now.getTime() + Math.floor((lifetime * 2) / 3)),
        identity: record.name,
      });
      call.writeMessage(toBinary(IssueCertificateResponseSchema, response));
      call.finish(GrpcStatus.OK);
    } catch (err) {
      const { status, message, code } = toStatus(err, ctx);
      identityDecisions.increment('issuance', code);
      const identity = err instanceof AccessRefused ? { identity: err.identity } : {};
      ctx.audit.record({ type: 'token.rejected', code, reason: message, source, ...identity });
      ctx.log.warn({ code, reason: message, source }, 'certificate refused');
      call.finish(status, message);
    } finally {
      clearTimeout(deadline);
    }
  };
}

/** Verifies a trusted issuer's workload token; the "key" a certificate is recorded under is the issuer. */
async function verifyWorkload(verifier: WorkloadTokenVerifier, token: string): Promise<{ identity: string; keyId: string }> {
  const verified = await verifier.verify(token);
  return { identity: verified.identity, keyId: `oidc:${verified.issuer}` };
}

/** A valid token from an identity the registry refuses now (source outside its CIDRs). */
class AccessRefused extends Error {
  constructor(
    readonly code: AccessRefusalCode,
    message: string,
    readonly identity: string,
  ) {
    super(message);
  }
}

function toStatus(err: unknown, ctx: Pick<ServerContext, 'storeKind'>): { status: GrpcError['status']; message: string; code: string } {
  if (err instanceof AccessRefused) return { status: GrpcStatus.PERMISSION_DENIED, message: err.message, code: err.code };
  if (err instanceof AuthError) {
    const status = err.code === 'ERR_IDENTITY_DISABLED' ? GrpcStatus.PERMISSION_DENIED : GrpcStatus.UNAUTHENTICATED;
    return { status, message: err.message, code: err.code };
  }
  if (err instanceof PkiError) return { status: GrpcStatus.INVALID_ARGUMENT, message: err.message, code: err.code };
  if (err instanceof GrpcError) return { status: err.status, message: err.message, code: 'ERR_GRPC' };
  if (err instanceof RegistryError || (err instanceof Error && err.name === 'SqliteError')) {
    return { status: GrpcStatus.UNAVAILABLE, message: storeUnavailableMessage(ctx), code: 'ERR_REGISTRY_UNAVAILABLE' };
  }
  return { status: GrpcStatus.INVALID_ARGUMENT, message: 'malformed request', code: 'ERR_MALFORMED' };
}
