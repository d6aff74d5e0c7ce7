/**
 * Compressed request bodies on the admin API and the registry's push feed, as a gateway that
 * gzips every POST sends them (an HIE's). Those routes are registered before @fastify/compress,
 * which decodes the FHIR bases' bodies only, so a gzipped review decision was a 400 "The request
 * body is not valid UTF-8 ... FHIR JSON is UTF-8", naming neither the encoding nor the fix, and a
 * body in a coding nothing decodes (br) was taken as it came. They are now decoded as the FHIR
 * bases decode them: gzip and deflate inflated (in any case, x-gzip as gzip); another coding a 415 and a body that does not
 * inflate a 400, both naming Content-Encoding, nothing changed; one that inflates past
 * limits.bodyBytes a 413. The same plugin and options decode both (platform/request-decoding.ts). Through the running mediator, on both store engines.
 */
import { deflateSync, gzipSync } from 'node:zlib';
import t from 'tap';
import { startConsoleRig, ADMIN_TOKEN, type ConsoleRig } from './console-rig.js';
import { RIG_AUTH } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

const MFR = 'https://mfr.example.org/facility';

async function send(
  rig: ConsoleRig,
  method: string,
  url: string,
  body: Buffer,
  encoding: string,
  contentType = 'application/json',
): Promise<{ status: number; body: any }> {
  const r = await fetch(`${rig.mediator.url}${url}`, {
    method,
    headers: {
      authorization: url.startsWith('/admin') ? `Bearer ${ADMIN_TOKEN}` : RIG_AUTH,
      'x-actor': 'ops',
      'content-type': contentType,
      'content-encoding': encoding,
    },
    body,
  });
  return { status: r.status, body: await r.json() };
}

for (const engine of engineCases()) {
  t.test(
    `admin and feed bodies gzipped by a gateway are decoded (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const db = await engine.freshDatabase();
      const rig = await startConsoleRig({ DATABASE_URL: db.databaseUrl, LIMIT_BODY_BYTES: '100000' });
      t.teardown(async () => {
        await rig.close();
        await db.drop();
      });
      const queue = (await rig.admin('GET', '/admin/reconcile/openlmis/review?limit=5')).body.items;
      const [first, second, third, fourth, fifth] = queue.map((i: { systemId: string }) => i.systemId as string);
      const flag = (id: string) => `/admin/reconcile/openlmis/${id}/flag`;
      const comment = Buffer.from(JSON.stringify({ comment: 'two posts this close: check on site' }));

      const gzipped = await send(rig, 'POST', flag(first), gzipSync(comment), 'gzip');
      t.equal(gzipped.status, 200, `a gzipped decision is taken: ${JSON.stringify(gzipped.body).slice(0, 300)}`);
      t.match(await rig.mediator.store.getCrosswalk('openlmis', first), { state: 'flagged' });
      const deflated = await send(rig, 'POST', flag(second), deflateSync(comment), 'deflate');
      t.equal(deflated.status, 200, 'a deflated one too');

      const location = {
        resourceType: 'Location',
        id: 'mfr-gz-1',
        identifier: [{ system: MFR, value: 'MFR-GZ-1' }],
        status: 'active',
        name: 'Gzip Hill Health Post',
      };
      const pushed = await send(
        rig,
        'PUT',
        '/registry/Location/mfr-gz-1',
        gzipSync(JSON.stringify(location)),
        'gzip',
        'application/fhir+json',
      );
      t.equal(pushed.status, 200, `the registry's gzipped push is taken: ${JSON.stringify(pushed.body).slice(0, 300)}`);
      t.match(pushed.body.issue[0].diagnostics, /1 change\(s\) taken/);

      const brotli = await send(rig, 'POST', flag(third), comment, 'br');
      t.equal(brotli.status, 415, 'a coding nothing decodes is refused, not taken as it came');
      t.match(brotli.body.issue[0], {
        code: 'not-supported',
        diagnostics: /Content-Encoding "br" is not supported; send the body as it is, or gzip or deflate it/,
        expression: ['Content-Encoding'],
      });
      // RFC 9110 §8.4.1: codings are case-insensitive and x-gzip is gzip, here as on the FHIR bases
      const xGzip = await send(rig, 'POST', flag(fourth), gzipSync(comment), 'x-gzip');
      t.equal(xGzip.status, 200, `x-gzip is gzip: ${JSON.stringify(xGzip.body).slice(0, 300)}`);
      const upper = await send(rig, 'POST', flag(fifth), gzipSync(comment), 'GZIP');
      t.equal(upper.status, 200, `GZIP is gzip: ${JSON.stringify(upper.body).slice(0, 300)}`);
      for (const id of [fourth, fifth])
        t.match(await rig.mediator.store.getCrosswalk('openlmis', id), { state: 'flagged' });
      const broken = await send(rig, 'POST', flag(third), Buffer.from('not gzip at all'), 'gzip');
      t.equal(broken.status, 400);
      t.match(broken.body.issue[0], {
        code: 'structure',
        diagnostics: /could not be decompressed: it is not valid gzip data/,
        expression: ['Content-Encoding'],
      });
      const bomb = gzipSync(JSON.stringify({ comment: ' '.repeat(2_000_000) }));
      t.ok(bomb.length < 10_000, `a small body (${bomb.length} bytes)`);
      const big = await send(rig, 'POST', flag(third), bomb, 'gzip');
      t.equal(big.status, 413, 'that inflates past limits.bodyBytes is refused');
      t.match(big.body.issue[0], { code: 'too-costly', diagnostics: /limits\.bodyBytes/ });
      t.match(await rig.mediator.store.getCrosswalk('openlmis', third), { state: 'review' }, 'none of them changed it');

      const plain = await send(rig, 'POST', flag(third), comment, 'identity');
      t.equal(plain.status, 200, 'identity is the body as it is');
    },
  );
}
