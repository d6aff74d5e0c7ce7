import zlib from 'node:zlib';

/** Bodies below this are cheap to compress and rarely repeat: not remembered. */
const MIN_BYTES = 8 * 1024;
/** Bodies remembered per encoding: the last few distinct large answers (searches, reads). */
const KEEP = 8;

type SyncCompressor = (input: Buffer, options?: zlib.ZlibOptions) => Buffer;

/**
 * A synchronous compressor that answers a body it compressed a moment ago from memory (issue 18:
 * gzip was ~0.2 ms of a 20-item Location search, and a repeated search answers the same bytes,
 * its self link included). The output is what compressing the same input with the same options
 * gives, so nothing of one answer can reach another: a hit needs byte-equal input. Compared by
 * length first, then memcmp (a few µs for 28 KB).
 */
export function rememberingCompressor(compress: SyncCompressor, keep = KEEP): SyncCompressor {
  const recent: { input: Buffer; output: Buffer; options?: zlib.ZlibOptions }[] = [];
  return (input, options) => {
    if (input.length < MIN_BYTES) return compress(input, options);
    const hit = recent.find((r) => r.options === options && r.input.length === input.length && r.input.equals(input));
    if (hit) return hit.output;
    const output = compress(input, options);
    // copies: the caller's buffer may be pooled or reused once the answer is written
    recent.unshift({ input: Buffer.from(input), output, options });
    if (recent.length > keep) recent.pop();
    return output;
  };
}

/** Texts converted above this are streamed by the plugin (its syncThreshold): not remembered. */
const MAX_TEXT_BYTES = 256 * 1024;

/**
 * A text answer's UTF-8 bytes, the same Buffer again for a text it converted a moment ago (issue
 * 18: the plugin measured and copied a repeated search's 28 KB answer, ~11 µs and 28 KB of garbage
 * per search, before the compressor's memory found it compressed already). The response
 * redaction's memo hands a repeated answer on as the same string object, so the comparison is
 * mostly a pointer's; another string of the same text compares by content, and anything else by
 * length first. The Buffer is shared by every answer that hits it; nothing changes a Buffer it is
 * given to compress or to write.
 */
export function rememberingUtf8(keep = KEEP): (text: string) => string | Buffer {
  const recent: { text: string; bytes: Buffer }[] = [];
  return (text) => {
    if (text.length < MIN_BYTES || text.length > MAX_TEXT_BYTES) return text;
    const hit = recent.find((r) => r.text === text);
    if (hit) return hit.bytes;
    const bytes = Buffer.from(text, 'utf8');
    recent.unshift({ text, bytes });
    if (recent.length > keep) recent.pop();
    return bytes;
  };
}

/**
 * node:zlib with remembering gzipSync/deflateSync, for @fastify/compress's `zlib` option (the
 * plugin takes a custom zlib's sync methods for bodies under its syncThreshold, and its streams
 * for the rest). The returned output buffer is shared by every answer that hits it; Node does not
 * change a buffer it writes to a socket.
 */
export function rememberingZlib(): Pick<typeof zlib, 'gzipSync' | 'deflateSync' | 'createGzip' | 'createDeflate'> {
  return {
    gzipSync: rememberingCompressor(zlib.gzipSync) as typeof zlib.gzipSync,
    deflateSync: rememberingCompressor(zlib.deflateSync) as typeof zlib.deflateSync,
    createGzip: zlib.createGzip,
    createDeflate: zlib.createDeflate,
  };
}
