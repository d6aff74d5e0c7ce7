import compress, { type FastifyCompressOptions } from '@fastify/compress';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';

/**
 * Compressed request bodies (a gateway that gzips every POST, an HIE's), decoded by
 * @fastify/compress's preParsing hook with one set of answers wherever they are read: the FHIR
 * bases (compression.ts) and the admin API and registry push feed (decodeRequestBodies). gzip and
 * deflate are inflated and `identity` taken as it is (the plugin refuses a coding its list does
 * not name, identity too); another coding is a 415 and a body that does not inflate a 400, in
 * words that name Content-Encoding and the fix (the plugin's own say "Unsupported
 * Content-Encoding" and "Could not decompress the request payload using the provided encoding";
 * the inflater's, "incorrect header check"). fhir/outcome.ts turns both into OperationOutcomes.
 * Fastify counts the inflated bytes against limits.bodyBytes (a small body that inflates to
 * gigabytes is a 413), and Content-Length against the bytes received.
 */
export const REQUEST_DECODING = {
  requestEncodings: ['gzip', 'deflate', 'identity'],
  onUnsupportedRequestEncoding: (encoding) =>
    new DecodingRefused(
      415,
      'FST_CP_ERR_INVALID_CONTENT_ENCODING',
      `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported; send the body as it is, or gzip or deflate it`,
    ),
  onInvalidRequestPayload: (encoding) =>
    new DecodingRefused(
      400,
      'FST_CP_ERR_INVALID_CONTENT',
      `it is not valid ${encoding} data (Content-Encoding: ${encoding})`,
    ),
} satisfies FastifyCompressOptions;

/** The codings REQUEST_DECODING takes, as the plugin compares them: exactly as the header names them. */
const TAKEN_CODINGS = new Set<string>(REQUEST_DECODING.requestEncodings);

/**
 * The request's Content-Encoding in the form the plugin compares (lower case, `x-gzip` as `gzip`):
 * RFC 9110 §8.4.1 makes content codings case-insensitive and asks a recipient to take `x-gzip` as
 * `gzip`, but the plugin looks the header up as sent, so `GZIP` or a gateway's `x-gzip` was a 415.
 * A request without the header, or with a coding already in that form, is left as it came.
 */
const canonicalCoding: onRequestHookHandler = (request, _reply, done) => {
  const coding = request.headers['content-encoding'];
  if (coding !== undefined && !TAKEN_CODINGS.has(coding)) {
    const lower = coding.trim().toLowerCase();
    request.headers['content-encoding'] = lower === 'x-gzip' ? 'gzip' : lower;
  }
  done();
};

/** Before the plugin's preParsing reads it: every route of `scope` sees the coding in canonical form. */
export function takeCodingsAsRfc9110Says(scope: FastifyInstance): void {
  scope.addHook('onRequest', canonicalCoding);
}

/**
 * For a scope registered before compression (main.ts: the admin API and the registry's push
 * feed, composed in before @fastify/compress because the OpenHIM envelope's onSend must see a body
 * before compression does): its request bodies decoded as the FHIR bases decode theirs, its
 * answers left uncompressed as before (small JSON and the console's pages, read by operators and
 * a registry, not by the clients whose repeated searches compression is for).
 */
export async function decodeRequestBodies(scope: FastifyInstance): Promise<void> {
  // before the plugin's own onRoute: a route marked so gets no compression hook, its reply.compress
  // decorator included
  scope.addHook('onRoute', (route) => {
    route.compress = false;
  });
  takeCodingsAsRfc9110Says(scope);
  await scope.register(compress, { ...REQUEST_DECODING, globalCompression: false });
}

/**
 * A refusal in the plugin's error shape. For a body that does not inflate the plugin copies the
 * refusal's own enumerable fields onto the inflater's error (Object.assign), so the message is
 * one of them: an Error's own message is not enumerable.
 */
class DecodingRefused extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super();
    Object.defineProperty(this, 'message', { value: message, enumerable: true, writable: true, configurable: true });
  }
}
