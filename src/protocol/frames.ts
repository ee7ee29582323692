import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  DialResult,
  FinSchema,
  FrameSchema,
  OpenedSchema,
  OpenSchema,
  ResetReason,
  ResetSchema,
  type Frame,
} from './gen/causeway/v1/tunnel_pb.js';
import { encodeMessage, MESSAGE_HEADER_BYTES } from './message-framing.js';

export { DialResult, ResetReason, type Frame };

/** Field 3 (`data`), wire type 2 (length-delimited). */
const DATA_TAG = (3 << 3) | 2;

/**
 * The 5-byte message prefix plus the protobuf tag and length of a data frame carrying `payloadLength`
 * bytes. Writing this header and then the payload itself avoids copying the payload on the hot path;
 * the bytes are exactly what protobuf-es would produce for `{kind: {case: 'data'}}`.
 */
export function dataFrameHeader(payloadLength: number): Buffer {
  const varintBytes = varintSize(payloadLength);
  const header = Buffer.allocUnsafe(MESSAGE_HEADER_BYTES + 1 + varintBytes);
  header[0] = 0;
  header.writeUInt32BE(1 + varintBytes + payloadLength, 1);
  header[MESSAGE_HEADER_BYTES] = DATA_TAG;
  let value = payloadLength;
  let offset = MESSAGE_HEADER_BYTES + 1;
  while (value >= 0x80) {
    header[offset++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  header[offset] = value;
  return header;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value >>>= 7;
    size++;
  }
  return size;
}

/** Encodes a whole frame as a length-prefixed gRPC message. */
export function encodeFrame(frame: Frame): Buffer {
  return encodeMessage(toBinary(FrameSchema, frame));
}

/**
 * Decodes one message's payload. Data frames take a fast path that returns a view of the payload
 * without copying; anything else goes through protobuf-es.
 */
export function decodeFrame(message: Buffer): Frame {
  if (message.length > 0 && message[0] === DATA_TAG) {
    let length = 0;
    let shift = 0;
    let offset = 1;
    while (offset < message.length && offset <= 5) {
      const byte = message[offset++]!;
      length += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) {
        if (offset + length === message.length) {
          return create(FrameSchema, { kind: { case: 'data', value: message.subarray(offset) } });
        }
        break;
      }
    }
  }
  return fromBinary(FrameSchema, message);
}

export const finFrame: Buffer = encodeFrame(create(FrameSchema, { kind: { case: 'fin', value: create(FinSchema) } }));

export function openFrame(host: string, port: number): Buffer {
  return encodeFrame(create(FrameSchema, { kind: { case: 'open', value: create(OpenSchema, { host, port }) } }));
}

export function openedFrame(fields: { dialId?: string; result: DialResult; message?: string; remoteAddress?: string }): Buffer {
  return encodeFrame(
    create(FrameSchema, {
      kind: {
        case: 'opened',
        value: create(OpenedSchema, {
          dialId: fields.dialId ?? '',
          result: fields.result,
          message: fields.message ?? '',
          remoteAddress: fields.remoteAddress ?? '',
        }),
      },
    }),
  );
}

export function resetFrame(reason: ResetReason, message = ''): Buffer {
  return encodeFrame(create(FrameSchema, { kind: { case: 'reset', value: create(ResetSchema, { reason, message }) } }));
}
