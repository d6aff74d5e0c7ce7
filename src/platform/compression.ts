import compress from '@fastify/compress';
import type { FastifyInstance, FastifyReply, onRequestHookHandler, onSendHookHandler, RouteOptions } from 'fastify';
import { rememberingUtf8, rememberingZlib } from './compress-memo.js';
import { REQUEST_DECODING, takeCodingsAsRfc9110Says } from './request-decoding.js';
import { hookList } from './route-hooks.js';

/**
 * Response compression (@fastify/compress) and request decompression, where a request that cannot
 * be compressed pays nothing for it (issue 18).
 *
 * The plugin adds, to every route, an onRequest hook that only sets `reply.compress` (nothing here
 * calls it) and an onSend hook that reads six headers and tests the content type before it finds
 * there is no Accept-Encoding, the case of every OpenHIM and most machine clients. So the hooks it
 * added are told apart from the route's own (snapshot before, compare after): its onRequest is
 * dropped, and its onSend runs only when the request has an Accept-Encoding. Without one the
 * plugin passes the payload on unchanged anyway, so nothing a client sees changes. Its preParsing
 * hook (request Content-Encoding) stays as it is, with the answers the admin API's gives
 * (request-decoding.ts).
 */
export async function registerCompression(app: FastifyInstance): Promise<void> {
  takeCodingsAsRfc9110Says(app);
  const before = new WeakMap<RouteOptions, { onRequest: Set<onRequestHookHandler>; onSend: Set<onSendHookHandler> }>();
  app.addHook('onRoute', (route) => {
    before.set(route, { onRequest: new Set(hookList(route.onRequest)), onSend: new Set(hookList(route.onSend)) });
  });
  await app.register(compress, {
    global: true,
    encodings: ['gzip', 'deflate'],
    ...REQUEST_DECODING,
    threshold: 2048,
    // Issue 18: gzip was ~15 % of a 20-item Location search's CPU. Level 1 (nginx's default
    // gzip_comp_level) is ~3x cheaper than zlib's 6 for ~6 % more bytes; and bodies up to 256 KB
    // are compressed in one synchronous call (at most ~2 ms of the loop at level 1) instead of
    // a zlib stream, which costs ~0.4 ms more per response (the plugin's default cut-off is
    // 8 KB on two cores, below a 20-item bundle's ~28 KB).
    zlibOptions: { level: 1 },
    syncThreshold: 256 * 1024,
    // a body compressed a moment ago (a repeated search) is answered from memory
    zlib: rememberingZlib(),
  });
  // onRoute hooks run in the order they were added: this one sees what the plugin added
  app.addHook('onRoute', (route) => {
    const own = before.get(route);
    if (!own) return;
    const onRequest = hookList(route.onRequest).filter((hook) => own.onRequest.has(hook));
    route.onRequest = onRequest.length ? onRequest : undefined;
    route.onSend = hookList(route.onSend).map((hook) => (own.onSend.has(hook) ? hook : onlyWhenAccepted(hook)));
  });
}

/**
 * The plugin's onSend, entered only when the client sent an Accept-Encoding. A large text answer
 * reaches it as its UTF-8 bytes, remembered for a repeated answer (compress-memo.ts): the plugin
 * converts a string to exactly those bytes itself, and what it does not compress is sent as the
 * same bytes a string would have been.
 */
function onlyWhenAccepted(compressOnSend: onSendHookHandler): onSendHookHandler {
  const utf8 = rememberingUtf8();
  return function compressIfAccepted(request, reply, payload, next) {
    if (request.headers['accept-encoding'] === undefined) return next(null, payload);
    const body = typeof payload === 'string' && isCompressedJson(reply) ? utf8(payload) : payload;
    return compressOnSend.call(this, request, reply, body, next);
  };
}

/**
 * A JSON answer the plugin compresses (its default compressibleTypes: `+json` or `/json` at the
 * end of the type): FHIR answers, which repeat. Not an OpenHIM envelope
 * (`application/json+openhim`): the plugin passes it on uncompressed, and it is never answered
 * twice (its timestamps are the transaction's), so converting and comparing it (~2 µs per 60 KB
 * text of the same length) would be for nothing.
 */
function isCompressedJson(reply: FastifyReply): boolean {
  return /(?:\+|\/)json(?:;|$)/.test(String(reply.getHeader('content-type') ?? ''));
}
