import type { Settings } from 'node:http2';
import { setDefaultHighWaterMark } from 'node:stream';

/**
 * HTTP/2 settings chosen on purpose.
 *
 * Per-stream windows bound the memory one stalled tunnel can pin: a slow reader holds a few stream
 * windows' worth in each process. Measured with 100 tunnels read at 100 KiB/s: 1 MiB windows peaked at
 * 272/314 MiB (server/client), 512 KiB at 185/211 MiB before the audit store and metrics joined the
 * server and 269 MiB after, over the 256 MiB bound; hence 256 KiB. The price is one tunnel's speed over
 * long round trips: at most 256 KiB in flight, about 13 MB/s at 20 ms.
 *
 * The connection window bounds how much either side may have in flight at once, and must stay small
 * enough for the TCP buffers to hold: node stops reading a session while one of its writes is
 * pending, so when both ends had more queued than the buffers take (64 MiB windows, 50 tunnels echoing
 * 2 MiB each) both waited on each other until keepalive killed the connection. Node consumes (and
 * re-opens the connection window for) data of paused streams into their stream buffers, so stalled
 * streams do not starve their neighbours of it.
 */
export const STREAM_WINDOW_BYTES = 256 * 1024;
export const CONNECTION_WINDOW_BYTES = 2 * 1024 * 1024;
/** One socket read (≤ 64 KiB) plus its message and frame prefixes fits in a single HTTP/2 DATA frame. */
export const MAX_FRAME_BYTES = 64 * 1024 + 64;
export const MAX_HEADER_LIST_BYTES = 16 * 1024;

export function http2Settings(maxConcurrentStreams: number): Settings {
  return {
    enablePush: false,
    initialWindowSize: STREAM_WINDOW_BYTES,
    maxFrameSize: MAX_FRAME_BYTES,
    maxConcurrentStreams,
    maxHeaderListSize: MAX_HEADER_LIST_BYTES,
  };
}

/**
 * Memory node's HTTP/2 layer may hold for one session, in MiB (node's default, 10, is reached with a
 * few dozen busy tunnels and then refuses new streams).
 */
export const MAX_SESSION_MEMORY_MIB = 512;

/**
 * Bytes a socket or HTTP/2 stream buffers before `write()` asks its writer to wait. Node's default,
 * 16 KiB, is a quarter of one 64 KiB socket read, so every chunk paused and resumed the other side of
 * the tunnel; at 256 KiB the client and server spent about a third less CPU per GiB (bench, issue 8).
 * 128 KiB still holds a whole read and its frame prefix; 256 KiB took 100 stalled tunnels past the
 * 256 MiB memory bound (server 281 MiB). Writers still honour `write()` → `drain`, so this bounds what
 * one tunnel buffers in each process.
 */
export const STREAM_HIGH_WATER_MARK_BYTES = 128 * 1024;

/** Applies the data path's buffer size to every byte stream this process creates from now on. */
export function applyStreamBufferDefaults(): void {
  setDefaultHighWaterMark(false, STREAM_HIGH_WATER_MARK_BYTES);
}
