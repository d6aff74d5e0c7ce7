/**
 * The R4 id a line of a consignment made in DHIS2 had before the org unit was in it (the plain
 * delivery line id: reference, item, lot) is one a client may hold: a search then linked it. A
 * read by it is redirected (301) to the line's id now, and a change by it is a 409 naming that id,
 * nothing written; before, both were a 404 (the line read back under its new id only). Through the
 * real mediator, the DHIS2 connector and its sandbox, on both store engines.
 */
import t from 'tap';
import { deliveryLineId } from '../../../../src/domain/line-ids.js';
import { CONSIGNMENT_SYSTEM } from '../../../../src/systems/dhis2/consignments.js';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { RIG_AUTH, why } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { CONSIGNMENT_ENV, nativeEvent } from '../../../support/dhis2-consignments.js';

type Resource = Record<string, any>;

for (const engine of engineCases()) {
  t.test(
    `a line's id from before the org unit was in it: read redirected, change refused naming the id (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, CONSIGNMENT_ENV);
      const sb = rig.dhis2;
      const facility = sb.state.summary().orgUnits['LK-HC-103'];
      sb.tracker.events.set('NatOld00001', nativeEvent('NatOld00001', facility, 'WAYBILL-91', 'FP_CNDM', '1440'));
      const r4 = await rig.fhir('GET', `/fhir/SupplyDelivery?destination=Location/${facility}`);
      t.equal(r4.status, 200, why(r4));
      const [line] = (r4.body.entry ?? [])
        .map((e: Resource) => e.resource)
        .filter((r: Resource) => r.identifier?.[0]?.value === 'WAYBILL-91');
      t.ok(line, 'the R4 search lists the line');
      const { meta: _meta, ...content } = line;
      const coding = line.suppliedItem.itemCodeableConcept.coding[0];
      const former = deliveryLineId({ system: CONSIGNMENT_SYSTEM, value: 'WAYBILL-91' }, coding);
      t.not(former, line.id, 'its id now is not the plain one');
      // as a search before the upgrade linked it: to the consignment it listed the line in
      await rig.mediator.store.putLinks([
        { flow: 'deliveries', fhirId: former, system: 'dhis2', upstreamId: `${facility}~WAYBILL-91` },
      ]);

      const read = await fetch(`${rig.mediator.url}/fhir/SupplyDelivery/${former}`, {
        headers: { authorization: RIG_AUTH, accept: 'application/fhir+json' },
        redirect: 'manual',
      });
      const said = await read.text();
      t.equal(read.status, 301, `a read by it is redirected (before: 404): ${said}`);
      t.match(read.headers.get('location'), new RegExp(`/fhir/SupplyDelivery/${line.id}$`), "to the line's id now");
      t.match(JSON.parse(said).issue[0].diagnostics, `${former} was its id before the line ids`, 'saying what it was');

      const events = JSON.stringify([...sb.tracker.events.values()]);
      const put = await fetch(`${rig.mediator.url}/fhir/SupplyDelivery/${former}`, {
        method: 'PUT',
        body: JSON.stringify({
          ...content,
          id: former,
          suppliedItem: { ...content.suppliedItem, quantity: { ...content.suppliedItem.quantity, value: 1400 } },
        }),
        headers: { authorization: RIG_AUTH, accept: 'application/fhir+json', 'content-type': 'application/fhir+json' },
        redirect: 'manual',
      });
      const refused = JSON.parse(await put.text());
      t.equal(put.status, 409, `a PUT by it is refused: ${JSON.stringify(refused)}`);
      t.match(refused.issue?.[0]?.diagnostics, `change it as ${line.id}`, 'naming the id to change it as');
      t.same(refused.issue?.[0]?.expression, ['SupplyDelivery.id'], "at the resource's id");
      t.same(await rig.mediator.store.listJobs({ flow: 'deliveries' }), [], 'no write accepted');
      t.equal(JSON.stringify([...sb.tracker.events.values()]), events, 'nothing written to DHIS2');
    },
  );
}

for (const engine of engineCases()) {
  t.test(
    `a line's former id two facilities' consignments shared: a 409 naming both ids, no redirect (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, CONSIGNMENT_ENV);
      const sb = rig.dhis2;
      const [a, b] = ['LK-HC-102', 'LK-HC-103'].map((code) => sb.state.summary().orgUnits[code]);
      sb.tracker.events.set('NatOldA0001', nativeEvent('NatOldA0001', a, 'WAYBILL-92', 'FP_CNDM', '100'));
      sb.tracker.events.set('NatOldB0001', nativeEvent('NatOldB0001', b, 'WAYBILL-92', 'FP_CNDM', '200'));
      const lineAt = async (ou: string) => {
        const r4 = await rig.fhir('GET', `/fhir/SupplyDelivery?destination=Location/${ou}`);
        t.equal(r4.status, 200, why(r4));
        return (r4.body.entry ?? [])
          .map((e: Resource) => e.resource)
          .find((r: Resource) => r.identifier?.[0]?.value === 'WAYBILL-92');
      };
      const [atA, atB] = [await lineAt(a), await lineAt(b)];
      t.not(atA.id, atB.id, 'each facility its own line id');
      const coding = atA.suppliedItem.itemCodeableConcept.coding[0];
      const former = deliveryLineId({ system: CONSIGNMENT_SYSTEM, value: 'WAYBILL-92' }, coding);
      // the one link both searches wrote before the upgrade: the last one listed, B's
      await rig.mediator.store.putLinks([
        { flow: 'deliveries', fhirId: former, system: 'dhis2', upstreamId: `${b}~WAYBILL-92` },
      ]);

      const read = await fetch(`${rig.mediator.url}/fhir/SupplyDelivery/${former}`, {
        headers: { authorization: RIG_AUTH, accept: 'application/fhir+json' },
        redirect: 'manual',
      });
      const said = JSON.parse(await read.text());
      t.equal(read.status, 409, `a read by it is a 409, not a redirect to B's line: ${JSON.stringify(said)}`);
      for (const id of [atA.id, atB.id]) t.match(said.issue?.[0]?.diagnostics, id, `naming ${id}`);

      const { meta: _meta, ...content } = atA;
      const events = JSON.stringify([...sb.tracker.events.values()]);
      const put = await fetch(`${rig.mediator.url}/fhir/SupplyDelivery/${former}`, {
        method: 'PUT',
        body: JSON.stringify({
          ...content,
          id: former,
          suppliedItem: { ...content.suppliedItem, quantity: { ...content.suppliedItem.quantity, value: 90 } },
        }),
        headers: { authorization: RIG_AUTH, accept: 'application/fhir+json', 'content-type': 'application/fhir+json' },
        redirect: 'manual',
      });
      const refused = JSON.parse(await put.text());
      t.equal(put.status, 409, `a PUT by it is refused: ${JSON.stringify(refused)}`);
      for (const id of [atA.id, atB.id]) t.match(refused.issue?.[0]?.diagnostics, id, `naming ${id}`);
      t.same(await rig.mediator.store.listJobs({ flow: 'deliveries' }), [], 'no write accepted');
      t.equal(JSON.stringify([...sb.tracker.events.values()]), events, 'nothing written to DHIS2');
    },
  );
}
