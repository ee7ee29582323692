import { FramingError, MESSAGE_HEADER_BYTES } from './message-framing.js';

/** Field 3 (`data`) of Frame, wire type 2 (length-delimited). */
const DATA_TAG = (3 << 3) | 2;
/** Message prefix, the data tag and at most a 5-byte varint. */
const MAX_DATA_HEAD_BYTES = MESSAGE_HEADER_BYTES + 1 + 5;

/**
 * Splits a tunnel stream's bytes into data payloads and whole control frames without reassembling
 * data messages: a data frame's payload is handed on piece by piece as HTTP/2 delivers it (views of the
 * received chunks, never copied), so a message that spans two DATA frames costs no concatenation.
 * Control frames (fin, reset, …) are small and are collected whole, bounded by `maxMessageBytes`.
 */
export class FrameSplitter {
  private payloadLeft = 0;
  private readonly head = Buffer.alloc(MAX_DATA_HEAD_BYTES);
  private headLength = 0;
  private messageLength = 0;
  private control: Buffer | undefined;
  private controlFilled = 0;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly onData: (payload: Buffer) => void,
    private readonly onControl: (message: Buffer) => void,
  ) {}

  /** Feeds bytes; calls back for each payload piece and control message. Throws FramingError on a bad prefix. */
  push(chunk: Buffer): void {
    let offset = 0;
    const end = chunk.length;
    while (offset < end) {
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, end - offset);
        this.payloadLeft -= n;
        this.onData(offset === 0 && n === end ? chunk : chunk.subarray(offset, offset + n));
        offset += n;
      } else if (this.control) {
        const n = Math.min(this.control.length - this.controlFilled, end - offset);
        chunk.copy(this.control, this.controlFilled, offset, offset + n);
        this.controlFilled += n;
        offset += n;
        this.emitControlIfWhole();
      } else {
        this.head[this.headLength++] = chunk[offset++]!;
        this.decideHead();
      }
    }
  }

  private decideHead(): void {
    if (this.headLength < MESSAGE_HEADER_BYTES) return;
    if (this.headLength === MESSAGE_HEADER_BYTES) {
      if (this.head[0] !== 0) throw new FramingError('ERR_MESSAGE_COMPRESSED', 'compressed messages are not supported');
      this.messageLength = this.head.readUInt32BE(1);
      if (this.messageLength > this.maxMessageBytes) {
        throw new FramingError('ERR_MESSAGE_TOO_LARGE', `message of ${this.messageLength} bytes exceeds ${this.maxMessageBytes}`);
      }
      if (this.messageLength === 0) this.startControl();
      return;
    }
    const body = this.headLength - MESSAGE_HEADER_BYTES;
    if (this.head[MESSAGE_HEADER_BYTES] !== DATA_TAG) return this.startControl();
    if (body === 1) return body === this.messageLength ? this.startControl() : undefined;
    const last = this.head[this.headLength - 1]!;
    if (last & 0x80) {
      if (body === this.messageLength || this.headLength === MAX_DATA_HEAD_BYTES) this.startControl();
      return;
    }
    let payload = 0;
    for (let i = MESSAGE_HEADER_BYTES + 1, shift = 0; i < this.headLength; i++, shift += 7) {
      payload += (this.head[i]! & 0x7f) * 2 ** shift;
    }
    if (body + payload !== this.messageLength) return this.startControl();
    this.headLength = 0;
    this.payloadLeft = payload;
    if (payload === 0) this.onData(Buffer.alloc(0));
  }

  /** The message is not a plain data frame: collect it whole, starting with the head bytes taken. */
  private startControl(): void {
    this.control = Buffer.allocUnsafe(this.messageLength);
    this.controlFilled = this.head.copy(this.control, 0, MESSAGE_HEADER_BYTES, this.headLength);
    this.headLength = 0;
    this.emitControlIfWhole();
  }

  private emitControlIfWhole(): void {
    if (!this.control || this.controlFilled < this.control.length) return;
    const message = this.control;
    this.control = undefined;
    this.controlFilled = 0;
    this.onControl(message);
  }
}
