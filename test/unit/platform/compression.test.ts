import { gunzipSync, inflateSync } from 'node:zlib';
import Fastify from 'fastify';
import t from 'tap';
import { registerCompression } from '../../../src/platform/compression.js';
import { basicAuth, testApp } from '../../support/app.js';

const metadata = { method: 'GET' as const, url: '/fhir/metadata', headers: { authorization: basicAuth } };

t.test('a client that accepts gzip or deflate gets the body compressed', async (t) => {
  const { app } = await testApp();
  const plain = await app.inject(metadata);
  t.ok(plain.rawPayload.length > 2048, 'the CapabilityStatement is above the 2 KB threshold');
  const gzip = await app.inject({ ...metadata, headers: { ...metadata.headers, 'accept-encoding': 'gzip' } });
  t.equal(gzip.headers['content-encoding'], 'gzip');
  t.match(String(gzip.headers.vary), /accept-encoding/i);
  t.equal(Number(gzip.headers['content-length']), gzip.rawPayload.length, 'its compressed length');
  t.same(JSON.parse(gunzipSync(gzip.rawPayload).toString()), plain.json(), 'the same resource');
  const deflate = await app.inject({ ...metadata, headers: { ...metadata.headers, 'accept-encoding': 'deflate' } });
  t.equal(deflate.headers['content-encoding'], 'deflate');
  t.same(JSON.parse(inflateSync(deflate.rawPayload).toString()), plain.json());
  const star = await app.inject({ ...metadata, headers: { ...metadata.headers, 'accept-encoding': '*' } });
  t.equal(star.headers['content-encoding'], 'gzip', "'*' is taken as gzip, as the plugin does");
});

t.test('no Accept-Encoding, or identity: the body as it is', async (t) => {
  const { app } = await testApp();
  const none = await app.inject(metadata);
  t.equal(none.headers['content-encoding'], undefined);
  t.equal(none.json().resourceType, 'CapabilityStatement');
  t.equal(Number(none.headers['content-length']), none.rawPayload.length);
  const identity = await app.inject({ ...metadata, headers: { ...metadata.headers, 'accept-encoding': 'identity' } });
  t.equal(identity.headers['content-encoding'], undefined);
  t.equal(identity.body, none.body);
  const noBr = await app.inject({ ...metadata, headers: { ...metadata.headers, 'accept-encoding': 'br' } });
  t.equal(noBr.headers['content-encoding'], undefined, 'br is not offered: identity');
  t.equal(noBr.body, none.body);
});

t.test('a repeated large answer: the same bytes, compressed or not, whatever the client asks', async (t) => {
  const app = Fastify();
  await registerCompression(app);
  // a text answer as send() gives it (a string with its content type), 30 KB, not only ASCII
  const text = JSON.stringify({ name: 'Mji "Mpya" – é ✓ \u2028'.repeat(1500) });
  app.get('/text', async (_request, reply) => reply.type('application/fhir+json; charset=utf-8').send(text));
  app.get('/envelope', async (request, reply) =>
    reply
      .header('content-type', 'application/json+openhim; charset=utf-8')
      .send(JSON.stringify({ status: 'Successful', body: text, n: Number((request.query as { n: string }).n) })),
  );
  await app.ready();
  const get = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/text', headers });
  const plain = await get({});
  t.ok(plain.rawPayload.length > 8 * 1024, 'large enough to be remembered');
  t.equal(plain.body, text);
  for (const round of ['first', 'again']) {
    const zipped = await get({ 'accept-encoding': 'gzip' });
    t.equal(zipped.headers['content-encoding'], 'gzip');
    t.equal(gunzipSync(zipped.rawPayload).toString(), text, `gzip (${round}): inflates to the text`);
    const refused = await get({ 'accept-encoding': 'gzip', 'x-no-compression': '1' });
    t.equal(refused.headers['content-encoding'], undefined, `x-no-compression (${round}): not compressed`);
    t.equal(refused.body, text, 'the same text');
    t.equal(refused.headers['content-type'], plain.headers['content-type'], 'the same content type');
    t.equal(Number(refused.headers['content-length']), plain.rawPayload.length, 'its length in bytes');
    const identity = await get({ 'accept-encoding': 'identity' });
    t.same(identity.rawPayload, plain.rawPayload, `identity (${round}): the same bytes`);
  }
  // an OpenHIM envelope (never repeated, so not remembered; not a type the plugin compresses)
  for (const n of [1, 2]) {
    const envelope = JSON.stringify({ status: 'Successful', body: text, n });
    const res = await app.inject({
      method: 'GET',
      url: `/envelope?n=${n}`,
      headers: { 'accept-encoding': 'gzip' },
    });
    t.equal(res.headers['content-type'], 'application/json+openhim; charset=utf-8');
    t.equal(res.headers['content-encoding'], undefined, `envelope ${n}: as the plugin leaves it`);
    t.equal(res.body, envelope, 'the same text');
  }
});

t.test("the plugin's hooks: its onRequest is gone, its onSend is entered only with Accept-Encoding", async (t) => {
  const app = Fastify();
  const seen: string[] = [];
  app.addHook('onSend', (_request, _reply, payload, done) => {
    seen.push('app onSend');
    done(null, payload);
  });
  await registerCompression(app);
  const own = (_request: unknown, _reply: unknown, payload: unknown, done: (e: null, p: unknown) => void) => {
    seen.push('route onSend');
    done(null, payload);
  };
  const ownRequest = (_request: unknown, _reply: unknown, done: () => void) => {
    seen.push('route onRequest');
    done();
  };
  app.get('/big', { onSend: own, onRequest: ownRequest }, async () => ({ text: 'x'.repeat(4000) }));
  app.get('/plain', async () => ({ text: 'y'.repeat(4000) }));
  await app.ready();
  const routes = app.printRoutes({ includeHooks: true, commonPrefix: false });
  t.match(routes, /compressIfAccepted/, "the plugin's onSend is wrapped");
  // canonicalCoding (request-decoding.ts) puts Content-Encoding in the form the plugin compares
  t.match(routes, '(onRequest) ["canonicalCoding()","ownRequest()"]', "the route's own onRequest stays");
  t.notMatch(routes, '"onRequest()"', "the plugin's onRequest (it only sets reply.compress) is gone");
  t.notMatch(routes, '"onSend()"', "the plugin's onSend is never run unwrapped");
  t.match(routes, '"preParsing()"', 'request decompression stays');
  const plain = await app.inject({ method: 'GET', url: '/plain' });
  t.equal(plain.headers['content-encoding'], undefined);
  t.equal(plain.json().text.length, 4000);
  const big = await app.inject({ method: 'GET', url: '/big', headers: { 'accept-encoding': 'gzip' } });
  t.equal(big.headers['content-encoding'], 'gzip');
  t.equal(JSON.parse(gunzipSync(big.rawPayload).toString()).text.length, 4000);
  t.same(seen.slice(-3), ['route onRequest', 'app onSend', 'route onSend'], "the route's own hooks stay, in order");
  t.equal(JSON.parse(gunzipSync(big.rawPayload).toString()).text, 'x'.repeat(4000), 'the route onSend saw plain text');
});
