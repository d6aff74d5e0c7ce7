/**
 * The Android FHIR SDK's upload sent again after a lost answer, with the mediator restarted in
 * between on the same store (issue 16): one request each (PUT create, PATCH of a facility, PATCH
 * amending an order line, DELETE of one line of two), and a transaction Bundle with Binary PATCH
 * entries. Nothing is applied twice in OpenLMIS and each answer equals the first; the next
 * download brings each line once, at the version its last write answered. Both store engines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { startMediator, type RunningMediator } from '../../../src/main.js';
import { binary, download, patchHeaders, twoLineOrderUpload } from '../../support/android-sdk.js';
import { fhirAt, orderLine, startRigOn, why } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

async function call(
  m: RunningMediator,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fhirAt(m.url, method, url, body, headers);
  return { ...res, etag: res.headers.get('etag') };
}

const withoutMeta = (r: any): any => {
  if (!r || typeof r !== 'object') return r;
  if (Array.isArray(r)) return r.map(withoutMeta);
  const { meta: _m, ...rest } = r;
  return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, withoutMeta(v)]));
};

for (const engine of engineCases()) {
  t.test(
    `an SDK upload sent again after a restart applies nothing twice (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      // the SQLite store's file outlives the first mediator (startRigOn's own directory would too,
      // but the restart needs its path)
      const dir = mkdtempSync(path.join(tmpdir(), 'sdk-restart-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const rig = await startRigOn(t, engine, { DATA_DIR: dir, OUTBOX_DEADLINE_MS: '8000' });
      const { lmis } = rig;
      const fac = (code: string) => lmis.seed.facilities[code];
      let second: RunningMediator | undefined;
      t.teardown(() => second?.stop());
      const first = rig.mediator;
      const settings = first.settings();

      const lineA = randomUUID();
      const orderA = {
        ...orderLine({
          order: 'SDK-R-1',
          facilityId: fac('LK-HC-101'),
          program: 'EM01',
          productCode: 'EM-ORS',
          qty: 40,
        }),
        id: lineA,
      };
      const {
        bundle,
        lineIds: [lineB, lineC],
      } = twoLineOrderUpload('SDK-R-2', fac('LK-HC-101'));
      const loc = await call(first, 'GET', `/fhir/Location/${fac('LK-HC-103')}`);
      bundle.entry.push({
        fullUrl: `${first.url}/fhir/Location/${fac('LK-HC-103')}`,
        resource: binary([{ op: 'replace', path: '/name', value: 'Hilltop Clinic' }]),
        request: { method: 'PATCH', url: `Location/${fac('LK-HC-103')}`, ifMatch: loc.etag },
      });

      const startedAt = new Date(Date.now() - 1000).toISOString();
      const put1 = await call(first, 'PUT', `/fhir/SupplyRequest/${lineA}`, orderA);
      t.equal(put1.status, 201, why(put1));
      const loc2 = await call(first, 'GET', `/fhir/Location/${fac('LK-HC-102')}`);
      const patchOps = [{ op: 'replace', path: '/name', value: 'Lakeside II' }];
      const patch1 = await call(first, 'PATCH', `/fhir/Location/${fac('LK-HC-102')}`, patchOps, {
        ...patchHeaders,
        'if-match': loc2.etag!,
      });
      t.equal(patch1.status, 200, why(patch1));
      const tx1 = await call(first, 'POST', '/fhir', bundle);
      t.equal(tx1.status, 200, why(tx1));
      const upstream = () => {
        const { activeTokens: _tokens, ...counts } = lmis.sb.state.counts();
        return JSON.stringify({ counts, requisitions: lmis.sb.state.requisitionsByStatus() });
      };
      let mediator = first;
      const restart = async () => {
        await new Promise((r) => setTimeout(r, 1000));
        await mediator.stop();
        // the rig's close stops its mediator again: a second end of a PostgreSQL pool throws
        mediator.stop = async () => {};
        mediator = second = await startMediator(settings);
      };
      const sameAnswer = (
        again: Awaited<ReturnType<typeof call>>,
        was: Awaited<ReturnType<typeof call>>,
        what: string,
      ) => {
        t.equal(again.status, was.status === 201 ? 200 : was.status, `${what}: ${why(again)}`);
        t.same(withoutMeta(again.body), withoutMeta(was.body), `${what}: the same answer`);
      };

      // every answer lost, the mediator restarted, the upload sent again
      let before = upstream();
      await restart();
      const put2 = await call(mediator, 'PUT', `/fhir/SupplyRequest/${lineA}`, orderA);
      sameAnswer(put2, put1, 'PUT create');
      t.equal(put2.etag, put1.etag);
      const patch2 = await call(mediator, 'PATCH', `/fhir/Location/${fac('LK-HC-102')}`, patchOps, {
        ...patchHeaders,
        'if-match': loc2.etag!,
      });
      sameAnswer(patch2, patch1, 'PATCH');
      const tx2 = await call(mediator, 'POST', '/fhir', bundle);
      t.equal(tx2.status, 200, why(tx2));
      t.same(
        tx2.body?.entry?.map((e: any) => [e.response.etag, withoutMeta(e.resource)]),
        tx1.body.entry.map((e: any) => [e.response.etag, withoutMeta(e.resource)]),
        'the transaction answers each entry as before',
      );
      await new Promise((r) => setTimeout(r, 1000));
      t.equal(upstream(), before, 'nothing applied twice in OpenLMIS');

      // amend line A (40 -> 60) from the version the PUT answered; cancel line C of SDK-R-2
      const amendOps = [{ op: 'replace', path: '/quantity/value', value: 60 }];
      const amend1 = await call(mediator, 'PATCH', `/fhir/SupplyRequest/${lineA}`, amendOps, {
        ...patchHeaders,
        'if-match': put1.etag!,
      });
      t.equal(amend1.status, 200, why(amend1));
      const del1 = await call(mediator, 'DELETE', `/fhir/SupplyRequest/${lineC}`, undefined, {
        'if-match': tx1.body.entry[1].response.etag,
      });
      t.equal(del1.status, 200, why(del1));
      const amendTx = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: `${first.url}/fhir/SupplyRequest/${lineB}`,
            resource: binary([{ op: 'replace', path: '/quantity/value', value: 96 }]),
            request: { method: 'PATCH', url: `SupplyRequest/${lineB}`, ifMatch: tx1.body.entry[0].response.etag },
          },
        ],
      };
      const amendTx1 = await call(mediator, 'POST', '/fhir', amendTx);
      t.equal(amendTx1.status, 200, why(amendTx1));
      before = upstream();
      await restart();
      const amend2 = await call(mediator, 'PATCH', `/fhir/SupplyRequest/${lineA}`, amendOps, {
        ...patchHeaders,
        'if-match': put1.etag!,
      });
      sameAnswer(amend2, amend1, 'PATCH amending a line');
      const del2 = await call(mediator, 'DELETE', `/fhir/SupplyRequest/${lineC}`, undefined, {
        'if-match': tx1.body.entry[1].response.etag,
      });
      t.equal(del2.status, 200, why(del2));
      const amendTx2 = await call(mediator, 'POST', '/fhir', amendTx);
      t.equal(amendTx2.status, 200, why(amendTx2));
      t.same(
        amendTx2.body?.entry?.map((e: any) => [e.response.etag, withoutMeta(e.resource)]),
        amendTx1.body.entry.map((e: any) => [e.response.etag, withoutMeta(e.resource)]),
        'the Binary PATCH transaction answers as before',
      );
      await new Promise((r) => setTimeout(r, 1000));
      t.equal(upstream(), before, 'nothing applied twice in OpenLMIS');

      // the next download sees each of its own writes once, at the version its upload answered
      const lines = await download(
        { fhir: (m, u, b, h) => call(mediator, m, u, b, h) as any, mediator },
        startedAt,
        'SupplyRequest',
        2,
      );
      const etagOf = (e: string | null | undefined) => e?.replace(/^W\/"|"$/g, '');
      t.same(
        [lineA, lineB, lineC].map((id) => lines.ids.filter((x) => x === id).length),
        [1, 1, 0],
        'lines A and B once, the cancelled line C not at all',
      );
      t.equal(lines.etags.get(lineA), etagOf(amend1.etag), 'line A at the version its PATCH answered');
      t.equal(
        lines.etags.get(lineB),
        etagOf(amendTx1.body.entry[0].response.etag),
        'line B at the version the Bundle answered',
      );
      t.equal(lines.resources.get(lineB)?.quantity?.value, 96);
    },
  );
}
