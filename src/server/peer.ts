import type { Http2Session } from 'node:http2';
import { peerIdentityFromCertificate, type PeerIdentity } from '../auth/peer-identity.js';
import type { Role } from '../pki/spiffe.js';
import type { ServerCall } from '../protocol/grpc-server.js';
import { GrpcError, GrpcStatus } from '../protocol/grpc-status.js';

const cache = new WeakMap<Http2Session, PeerIdentity | GrpcError>();

/**
 * The authenticated identity behind a call: the TLS layer has verified the chain to our root; this reads
 * who the certificate names and checks the role the method needs. Parsed once per connection.
 */
export function authenticatePeer(call: ServerCall, trustDomain: string, role: Role): PeerIdentity {
  const session = call.stream.session!;
  let peer = cache.get(session);
  if (!peer) {
    peer = readPeer(call, trustDomain);
    cache.set(session, peer);
  }
  if (peer instanceof GrpcError) throw peer;
  if (peer.role !== role) {
    throw new GrpcError(GrpcStatus.PERMISSION_DENIED, `${call.method} requires a ${role} identity, not ${peer.role}`);
  }
  if (peer.notAfter.getTime() <= Date.now()) {
    throw new GrpcError(GrpcStatus.UNAUTHENTICATED, 'client certificate has expired');
  }
  return peer;
}

function readPeer(call: ServerCall, trustDomain: string): PeerIdentity | GrpcError {
  const socket = call.socket;
  if (!socket.authorized) {
    const why = socket.authorizationError ? String(socket.authorizationError) : 'no client certificate';
    return new GrpcError(GrpcStatus.UNAUTHENTICATED, `a valid client certificate is required (${why})`);
  }
  const cert = socket.getPeerX509Certificate();
  if (!cert) return new GrpcError(GrpcStatus.UNAUTHENTICATED, 'a valid client certificate is required');
  try {
    return peerIdentityFromCertificate(cert.raw, trustDomain);
  } catch (err) {
    return new GrpcError(GrpcStatus.UNAUTHENTICATED, (err as Error).message);
  }
}

/** The remote address of a call, for audit and source checks. */
export function peerAddress(call: ServerCall): string {
  const socket = call.socket;
  return socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'unknown';
}
