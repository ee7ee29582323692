import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { FrameSplitter } from '../../../src/protocol/frame-splitter.js';
import { dataFrameHeader, decodeFrame, finFrame, resetFrame, ResetReason } from '../../../src/protocol/frames.js';
import { FrameSchema } from '../../../src/protocol/gen/causeway/v1/tunnel_pb.js';
import { encodeMessage, FramingError } from '../../../src/protocol/message-framing.js';

function dataMessage(payload: Buffer): Buffer {
  return Buffer.concat([dataFrameHeader(payload.length), payload]);
}

/** Feeds `bytes` cut every `step` bytes; returns the data received and the control frames' kinds. */
function split(bytes: Buffer, step: number): { data: Buffer; controls: string[] } {
  const pieces: Buffer[] = [];
  const controls: string[] = [];
  const splitter = new FrameSplitter(
    1024 * 1024,
    (payload) => pieces.push(Buffer.from(payload)),
    (message) => controls.push(decodeFrame(message).kind.case ?? 'empty'),
  );
  for (let offset = 0; offset < bytes.length; offset += step) splitter.push(bytes.subarray(offset, offset + step));
  return { data: Buffer.concat(pieces), controls };
}

describe('FrameSplitter', () => {
  const payloads = [Buffer.from('x'), Buffer.alloc(127, 1), Buffer.alloc(128, 2), Buffer.alloc(70_000, 3), Buffer.alloc(0)];
  const stream = Buffer.concat([...payloads.map(dataMessage), resetFrame(ResetReason.UNSPECIFIED, 'bye'), finFrame]);

  for (const step of [1, 2, 5, 7, 9, 64 * 1024, stream.length]) {
    it(`passes data through and finds control frames when cut every ${step} bytes`, () => {
      const { data, controls } = split(stream, step);
      assert.deepEqual(data, Buffer.concat(payloads));
      assert.deepEqual(controls, ['reset', 'fin']);
    });
  }

  it('reads data frames encoded by protobuf-es itself', () => {
    const frame = encodeMessage(toBinary(FrameSchema, create(FrameSchema, { kind: { case: 'data', value: Buffer.from('hi') } })));
    const { data, controls } = split(frame, 1);
    assert.deepEqual(data, Buffer.from('hi'));
    assert.deepEqual(controls, []);
  });

  it('refuses compressed and oversized messages', () => {
    const splitter = new FrameSplitter(16, () => undefined, () => undefined);
    assert.throws(() => splitter.push(Buffer.from([1, 0, 0, 0, 1, 0])), (err: FramingError) => err.code === 'ERR_MESSAGE_COMPRESSED');
    const small = new FrameSplitter(16, () => undefined, () => undefined);
    assert.throws(() => small.push(Buffer.from([0, 0, 0, 0, 17])), (err: FramingError) => err.code === 'ERR_MESSAGE_TOO_LARGE');
  });
});
