/**
 * An If-Match with nothing in it (an app whose stored ETag was lost sends `If-Match:`) or a broken
 * entity tag (`W/"3` without its closing quote) counted as no If-Match at all: the PUT was written
 * unconditionally, over whatever the resource held (a probe's empty If-Match answered 200 and
 * changed the order). Each is now a 400 at the header (or at the entry's request.ifMatch in a
 * Bundle) and nothing is written: not in OpenLMIS, not in the outbox. Through the real mediator
 * and the OpenLMIS sandbox, both store engines.
 */
import t from 'tap';
import { request } from 'node:http';
import { engineCases } from '../../support/outbox-engines.js';
import { orderLine, RIG_AUTH, startRigOn, why, writesSince, type Rig } from '../../support/openlmis-e2e.js';

/** One exchange with exactly these headers (fetch may drop or fold an empty one). */
function raw(rig: Rig, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = request(
      `${rig.mediator.url}${path}`,
      {
        method,
        headers: {
          authorization: RIG_AUTH,
          accept: 'application/fhir+json',
          ...(text ? { 'content-type': 'application/fhir+json', 'content-length': Buffer.byteLength(text) } : {}),
          ...headers,
        },
      },
      (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: data ? JSON.parse(data) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a malformed If-Match or If-None-Match is a 400, never ignored`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const line = (qty: number) => ({
        ...orderLine({
          order: 'PRECOND-1',
          facilityId: rig.lmis.seed.facilities['LK-HC-102'],
          program: 'EM01',
          productCode: 'EM-ORS',
          qty,
        }),
        id: 'precond-1',
      });
      const created = await rig.fhir('PUT', '/fhir/SupplyRequest/precond-1', line(10));
      t.equal(created.status, 201, why(created));
      const jobs = async () => (await rig.mediator.store.listJobs()).length;
      const jobsBefore = await jobs();
      const logFrom = rig.lmis.sb.state.requestLog(0).length;

      for (const [header, value] of [
        ['if-match', ''],
        ['if-match', '  '],
        ['if-match', 'W/"3'],
        ['if-match', 'W/"3" W/"4"'],
        ['if-none-match', ''],
      ] as const) {
        const name = header === 'if-match' ? 'If-Match' : 'If-None-Match';
        const put = await raw(rig, 'PUT', '/fhir/SupplyRequest/precond-1', { [header]: value }, line(20));
        t.equal(put.status, 400, `PUT ${name} ${JSON.stringify(value)}: ${why(put)}`);
        t.same(put.body?.issue?.[0]?.expression, [name]);
        t.match(put.body?.issue?.[0]?.diagnostics, /is not an entity tag: send W\/"<meta.versionId>"/);
      }
      const del = await raw(rig, 'DELETE', '/fhir/SupplyRequest/precond-1', { 'if-match': '' });
      t.equal(del.status, 400, `DELETE: ${why(del)}`);
      t.same(del.body?.issue?.[0]?.expression, ['If-Match']);
      const patched = await raw(
        rig,
        'PATCH',
        '/fhir/SupplyRequest/precond-1',
        { 'if-match': '', 'content-type': 'application/json-patch+json' },
        [{ op: 'replace', path: '/quantity/value', value: 30 }],
      );
      t.equal(patched.status, 400, `PATCH: ${why(patched)}`);
      t.same(patched.body?.issue?.[0]?.expression, ['If-Match']);

      const bundle = await rig.fhir('POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: `${rig.mediator.url}/fhir/SupplyRequest/precond-1`,
            resource: line(40),
            request: { method: 'PUT', url: 'SupplyRequest/precond-1', ifMatch: 'W/"3' },
          },
        ],
      });
      t.equal(bundle.status, 400, `transaction: ${why(bundle)}`);
      t.same(bundle.body?.issue?.[0]?.expression, ['Bundle.entry[0].request.ifMatch']);

      t.same(writesSince(rig, logFrom), [], 'nothing written to OpenLMIS');
      t.equal(await jobs(), jobsBefore, 'nothing queued');
      const read = await rig.fhir('GET', '/fhir/SupplyRequest/precond-1');
      t.equal(read.body.quantity.value, 10, 'the order is as it was');

      // a good If-Match and a bare version id still work
      const good = await rig.fhir('PUT', '/fhir/SupplyRequest/precond-1', line(20), {
        'if-match': created.headers.get('etag')!,
      });
      t.equal(good.status, 200, why(good));
      const bare = await rig.fhir('PUT', '/fhir/SupplyRequest/precond-1', line(25), {
        'if-match': good.body.meta.versionId,
      });
      t.equal(bare.status, 200, why(bare));
    },
  );
}
