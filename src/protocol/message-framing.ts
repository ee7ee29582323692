/**
 * gRPC length-prefixed messages: a 1-byte compressed flag, a 4-byte big-endian length, then the message.
 * We never compress, and refuse compressed messages from peers.
 */
export const MESSAGE_HEADER_BYTES = 5;

/** Largest message we accept from a peer (data frames carry at most one socket read, ≤ 64 KiB + a few bytes). */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export class FramingError extends Error {
  constructor(
    readonly code: 'ERR_MESSAGE_TOO_LARGE' | 'ERR_MESSAGE_COMPRESSED' | 'ERR_MESSAGE_TRUNCATED',
    message: string,
  ) {
    super(message);
    this.name = 'FramingError';
  }
}

export function encodeMessage(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(MESSAGE_HEADER_BYTES + payload.length);
  out[0] = 0;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, MESSAGE_HEADER_BYTES);
  return out;
}

/**
 * Reassembles length-prefixed messages from arbitrary chunks. Keeps at most one partial message,
 * bounded by `maxMessageBytes`.
 */
export class MessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  /** Bytes held that do not yet form a whole message. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Adds a chunk and returns every message it completes. Throws FramingError on a bad prefix. */
  push(chunk: Buffer): Buffer[] {
    this.append(chunk);
    const messages: Buffer[] = [];
    for (let message = this.next(); message; message = this.next()) messages.push(message);
    return messages;
  }

  /** Adds a chunk without parsing it. */
  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next whole message, or undefined until more bytes arrive. Throws FramingError on a bad prefix. */
  next(): Buffer | undefined {
    if (this.buffered < MESSAGE_HEADER_BYTES) return undefined;
    const head = this.peek(MESSAGE_HEADER_BYTES);
    if (head[0] !== 0) throw new FramingError('ERR_MESSAGE_COMPRESSED', 'compressed messages are not supported');
    const length = head.readUInt32BE(1);
    if (length > this.maxMessageBytes) {
      throw new FramingError('ERR_MESSAGE_TOO_LARGE', `message of ${length} bytes exceeds ${this.maxMessageBytes}`);
    }
    if (this.buffered < MESSAGE_HEADER_BYTES + length) return undefined;
    this.take(MESSAGE_HEADER_BYTES);
    return this.take(length);
  }

  /** Returns and forgets whatever bytes are held (used when a stream switches to raw relaying). */
  drainRaw(): Buffer {
    const out =
      this.chunks.length === 0 ? Buffer.alloc(0) : this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    return out;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.chunks, this.buffered).subarray(0, n);
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.chunks.shift();
      this.buffered -= n;
      return first;
    }
    const all = Buffer.concat(this.chunks, this.buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}
