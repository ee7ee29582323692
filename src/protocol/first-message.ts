import type { Duplex } from 'node:stream';
import { GrpcError, GrpcStatus } from './grpc-status.js';
import type { MessageReader } from './message-framing.js';

/**
 * Reads the first length-prefixed message of a stream and leaves the stream paused, with anything that
 * arrived after that message kept in `reader`, so the caller can switch the stream to relaying.
 */
export function readFirstMessage(stream: Duplex, reader: MessageReader, timeoutMs: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onError);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, `no first message within ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      let first: Buffer | undefined;
      try {
        reader.append(chunk);
        first = reader.next();
      } catch (err) {
        cleanup();
        reject(new GrpcError(GrpcStatus.INVALID_ARGUMENT, (err as Error).message));
        return;
      }
      if (!first) return;
      stream.pause();
      cleanup();
      resolve(first);
    };
    const onEnd = (): void => {
      cleanup();
      reject(new GrpcError(GrpcStatus.CANCELLED, 'stream ended before its first message'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new GrpcError(GrpcStatus.CANCELLED, err.message));
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', onError);
  });
}
