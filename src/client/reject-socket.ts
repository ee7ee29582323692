import type { Socket } from 'node:net';

/** Writes a complete HTTP/1.1 error response on a raw socket and closes it; nothing after it is read. */
export function rejectSocket(socket: Socket, status: number, text: string, body: string, retryAfter?: number, extraHeaders: string[] = []): void {
  if (socket.destroyed) return;
  const line = `${body}\n`;
  socket.pause();
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(line)}\r\n` +
      (retryAfter ? `Retry-After: ${retryAfter}\r\n` : '') +
      extraHeaders.map((h) => `${h}\r\n`).join('') +
      'Connection: close\r\n\r\n' +
      line,
  );
  socket.destroySoon();
}
