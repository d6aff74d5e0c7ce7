/**
 * A consignment DHIS2 users entered themselves, listed by a search, reads back by the ids the
 * search gave it: its R5 id and the R4 id of each line. Before, the search linked every id to the
 * Delivery's own id, a one-way hash the connector cannot read back: a read by any of them was a
 * 404 "delivered to dhis2 as …", and a PATCH had nothing to patch. Through the real mediator, the
 * DHIS2 connector and its sandbox, on both store engines.
 */
import t from 'tap';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { why } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { CONSIGNMENT_ENV, consignmentEventsOf, nativeEvent } from '../../../support/dhis2-consignments.js';

type Resource = Record<string, any>;

for (const engine of engineCases()) {
  t.test(
    `a consignment made in DHIS2 reads and changes by the ids a search listed (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, CONSIGNMENT_ENV);
      const sb = rig.dhis2;
      const facility = sb.state.summary().orgUnits['LK-HC-103'];
      sb.tracker.events.set('NatRead0001', nativeEvent('NatRead0001', facility, 'WAYBILL-90', 'FP_CNDM', '1440'));
      sb.tracker.events.set('NatRead0002', nativeEvent('NatRead0002', facility, 'WAYBILL-90', 'FP_DMPA', '20'));
      const of = (bundle: Resource) =>
        (bundle.entry ?? [])
          .map((e: Resource) => e.resource)
          .filter((r: Resource) => r.identifier?.[0]?.value === 'WAYBILL-90');

      const r5 = await rig.fhir('GET', `/fhir/R5/SupplyDelivery?destination=Location/${facility}`);
      t.equal(r5.status, 200, why(r5));
      const [listed] = of(r5.body);
      t.ok(listed, 'the R5 search lists it');
      const r4 = await rig.fhir('GET', `/fhir/SupplyDelivery?destination=Location/${facility}`);
      t.equal(r4.status, 200, why(r4));
      const lines = of(r4.body);
      t.equal(lines.length, 2, 'the R4 search lists each line');

      const read = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${listed.id}`);
      t.equal(read.status, 200, `read by its R5 id (before: 404 delivered to dhis2 as …): ${why(read)}`);
      t.equal(read.body.id, listed.id);
      t.same(read.body.suppliedItem, listed.suppliedItem, 'the same lines the search gave');
      for (const line of lines) {
        const one = await rig.fhir('GET', `/fhir/SupplyDelivery/${line.id}`);
        t.equal(one.status, 200, `read by its R4 line id: ${why(one)}`);
        t.same(one.body.suppliedItem, line.suppliedItem, 'the line the search gave');
      }

      // changed by its R4 id: the line takes the quantity received
      const [condoms] = lines.filter((l: Resource) => l.suppliedItem?.quantity?.value === 1440);
      t.ok(condoms, 'the condom line is listed with its quantity');
      const { meta: _meta, ...line } = condoms;
      const put = await rig.fhir('PUT', `/fhir/SupplyDelivery/${line.id}`, {
        ...line,
        suppliedItem: { ...line.suppliedItem, quantity: { ...line.suppliedItem.quantity, value: 1400 } },
      });
      t.match(put.status, /^20[01]$/, `a PUT by the R4 line id lands: ${why(put)}`);
      const after = await rig.fhir('GET', `/fhir/SupplyDelivery/${line.id}`);
      t.equal(after.status, 200, `and reads back: ${why(after)}`);
      t.equal(after.body.suppliedItem?.quantity?.value, 1400, 'with the quantity received');
      t.same(
        consignmentEventsOf(sb, 'WAYBILL-90'),
        [
          ['NatRead0001', 'ACTIVE', 'FP_CNDM', '1400'],
          ['NatRead0002', 'ACTIVE', 'FP_DMPA', '20'],
        ],
        'its own event changed, no twin written',
      );
    },
  );

  t.test(
    `one waybill number at two facilities: each facility's lines read and change its own (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, CONSIGNMENT_ENV);
      const sb = rig.dhis2;
      const a = sb.state.summary().orgUnits['LK-HC-103'];
      const b = sb.state.summary().orgUnits['LK-HC-102'];
      sb.tracker.events.set('NatColA0001', nativeEvent('NatColA0001', a, 'WB-1001', 'FP_CNDM', '1440'));
      sb.tracker.events.set('NatColB0001', nativeEvent('NatColB0001', b, 'WB-1001', 'FP_CNDM', '500'));
      const linesAt = async (facility: string) => {
        const r4 = await rig.fhir('GET', `/fhir/SupplyDelivery?destination=Location/${facility}`);
        t.equal(r4.status, 200, why(r4));
        return (r4.body.entry ?? [])
          .map((e: Resource) => e.resource)
          .filter((r: Resource) => r.identifier?.[0]?.value === 'WB-1001');
      };
      const [lineA] = await linesAt(a);
      const [lineB] = await linesAt(b);
      t.not(lineA.id, lineB.id, "the two facilities' lines have ids of their own (before: one id)");

      const readA = await rig.fhir('GET', `/fhir/SupplyDelivery/${lineA.id}`);
      t.equal(readA.status, 200, why(readA));
      t.equal(readA.body.suppliedItem?.quantity?.value, 1440, "A's line reads A's quantity");
      t.equal(readA.body.destination?.reference, `Location/${a}`, "and A's destination");

      const { meta: _meta, ...line } = lineA;
      const put = await rig.fhir('PUT', `/fhir/SupplyDelivery/${line.id}`, {
        ...line,
        suppliedItem: { ...line.suppliedItem, quantity: { ...line.suppliedItem.quantity, value: 1400 } },
      });
      t.match(put.status, /^20[01]$/, `a PUT of A's line lands: ${why(put)}`);
      const events = [...sb.tracker.events.values()]
        .filter((e) => e.dataValues.some((d) => d.value === 'WB-1001'))
        .map((e) => [e.event, e.orgUnit === a ? 'A' : e.orgUnit === b ? 'B' : e.orgUnit, e.dataValues[1]?.value])
        .sort();
      t.same(
        events,
        [
          ['NatColA0001', 'A', '1400'],
          ['NatColB0001', 'B', '500'],
        ],
        "A's event changed, B's left as it was (before: B's changed)",
      );
    },
  );
}
