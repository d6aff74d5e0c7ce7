import { PassThrough, type Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance, FastifyRequest, preParsingHookHandler } from 'fastify';
import { MediatorError } from '../domain/errors.js';

/**
 * Gzip and deflate request bodies on the routes registered before @fastify/compress: the admin
 * API and the registry's push feed (main.ts composes them in before compression, since the
 * OpenHIM envelope's onSend must see a body before compression does). Without it a gateway that
 * compresses every POST (an HIE's) got "the request body is not valid UTF-8; FHIR JSON is UTF-8",
 * which names neither the encoding nor the fix, and a body in an encoding nothing decodes was
 * taken as it came. The FHIR bases keep @fastify/compress's own decoding; this one gives the same
 * answers: gzip (`x-gzip`) and deflate inflated, `identity` as is, another encoding a 415, a body
 * that does not inflate a 400, each naming Content-Encoding. Fastify counts the inflated bytes
 * against limits.bodyBytes (a small body that inflates to gigabytes is a 413), and Content-Length
 * against the bytes received (`receivedEncodedLength`, as the plugin sets it).
 */
export function decodeRequestBodies(app: FastifyInstance): void {
  app.addHook('preParsing', decodeRequestBody);
}

const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
};

const decodeRequestBody: preParsingHookHandler = (request, _reply, payload, done) => {
  const encoding = contentEncoding(request);
  if (encoding === undefined || encoding === 'identity') return done(null, payload);
  const decoder = DECODERS[encoding];
  if (!decoder) return done(unsupported(encoding));
  const inflate = decoder();
  // what Fastify reads: the inflated bytes, ended by the refusal in precise words when they do
  // not inflate (the inflater's own error says only "incorrect header check")
  const body = Object.assign(new PassThrough(), { receivedEncodedLength: 0 });
  payload.on('data', (chunk: Buffer) => {
    body.receivedEncodedLength += chunk.length;
  });
  payload.on('error', (err) => body.destroy(err));
  inflate.on('error', () => body.destroy(notInflated(encoding)));
  payload.pipe(inflate).pipe(body);
  return done(null, body);
};

/** The one coding named (lower case), or undefined when none; a list (codings stacked) is kept whole. */
function contentEncoding(request: FastifyRequest): string | undefined {
  const header = request.headers['content-encoding'];
  if (header === undefined) return undefined;
  const value = String(header).trim().toLowerCase();
  return value === '' ? undefined : value;
}

function unsupported(encoding: string): MediatorError {
  return new MediatorError(415, {
    code: 'not-supported',
    diagnostics: `The request body could not be decompressed: Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported; send the body as it is, or gzip or deflate it`,
    expression: ['Content-Encoding'],
  });
}

/** A body that does not inflate in the coding it names. */
function notInflated(encoding: string): MediatorError {
  return new MediatorError(400, {
    code: 'structure',
    diagnostics: `The request body could not be decompressed: it is not valid ${encoding} data (Content-Encoding: ${encoding})`,
    expression: ['Content-Encoding'],
  });
}
