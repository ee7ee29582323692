/** gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html): the error vocabulary at the wire. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];

/** An error that crosses the wire as a gRPC status; `message` is safe for the peer. */
export class GrpcError extends Error {
  constructor(
    readonly status: GrpcStatusCode,
    message: string,
  ) {
    super(message);
    this.name = 'GrpcError';
  }
}

/** Percent-encodes a grpc-message value as the gRPC HTTP/2 spec requires. */
export function encodeGrpcMessage(message: string): string {
  return encodeURIComponent(message).replace(/%20/g, ' ');
}

export function decodeGrpcMessage(value: string | undefined): string {
  if (!value) return '';
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
