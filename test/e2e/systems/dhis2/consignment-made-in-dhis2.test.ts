/**
 * A consignment DHIS2 users entered themselves (its events under DHIS2's own UIDs), read through
 * the mediator and confirmed by a PUT of what was read: the confirmation must complete those
 * events, not add a second event per line beside them (which would double the quantities DHIS2
 * reports for the consignment). Through the real mediator, the DHIS2 connector and its sandbox.
 */
import t from 'tap';
import { CONSIGNMENT } from '../../../../sandbox/dhis2/index.js';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { why } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { CONSIGNMENT_ENV, nativeEvent } from '../../../support/dhis2-consignments.js';

type Resource = Record<string, any>;

const CONDOM_CODE = 'FP_CNDM';

for (const engine of engineCases()) {
  t.test(
    `a consignment made in DHIS2, confirmed through the mediator (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, CONSIGNMENT_ENV);
      const sb = rig.dhis2;
      const facility = sb.state.summary().orgUnits['LK-HC-103'];
      const now = new Date().toISOString();
      sb.tracker.events.set('NativeEvt01', {
        event: 'NativeEvt01',
        program: CONSIGNMENT.program,
        programStage: CONSIGNMENT.stage,
        orgUnit: facility,
        occurredAt: '2026-12-01T09:15:00',
        status: 'ACTIVE',
        dataValues: [
          { dataElement: CONSIGNMENT.item, value: CONDOM_CODE },
          { dataElement: CONSIGNMENT.quantity, value: '1440' },
          { dataElement: CONSIGNMENT.reference, value: 'WAYBILL-77' },
        ],
        notes: [],
        createdAt: now,
        updatedAt: now,
      });
      const found = await rig.fhir('GET', `/fhir/R5/SupplyDelivery?destination=Location/${facility}`);
      t.equal(found.status, 200, why(found));
      const entry = found.body.entry?.find((e: Resource) => e.resource.identifier?.[0]?.value === 'WAYBILL-77');
      t.ok(entry, 'the consignment made in DHIS2 is listed');
      if (!entry) return;
      const { meta: _meta, ...asRead } = entry.resource as Resource;
      t.equal(asRead.status, 'in-progress');
      const put = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${asRead.id}`, {
        ...asRead,
        status: 'completed',
        occurrenceDateTime: '2026-12-02T10:00:00Z',
      });
      t.match(put.status, /^20[01]$/, `confirmed: ${why(put)}`);
      const events = [...sb.tracker.events.values()].filter(
        (e) => e.program === CONSIGNMENT.program && e.orgUnit === facility,
      );
      t.same(
        events.map((e) => [e.event, e.status]),
        [['NativeEvt01', 'COMPLETED']],
        'its own event completed, no second event beside it',
      );
    },
  );
}

// two events of one item and lot (two cartons entered apart): before, the first was completed with
// the sum of both lines and the other stayed ACTIVE, the consignment in progress for ever and its
// quantity counted again; a native event of an item the catalogue does not know was left ACTIVE
for (const engine of engineCases()) {
  t.test(
    `a DHIS2 consignment's events, every one completed or none (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, CONSIGNMENT_ENV);
      const sb = rig.dhis2;
      const facility = sb.state.summary().orgUnits['LK-HC-103'];
      const held = () =>
        [...sb.tracker.events.values()]
          .filter((e) => e.program === CONSIGNMENT.program && e.orgUnit === facility)
          .map((e) => [e.event, e.status, e.dataValues.find((d) => d.dataElement === CONSIGNMENT.quantity)?.value])
          .sort();
      const asRead = async (ref: string) => {
        const found = await rig.fhir('GET', `/fhir/R5/SupplyDelivery?destination=Location/${facility}`);
        const entry = found.body.entry?.find((e: Resource) => e.resource.identifier?.[0]?.value === ref);
        const { meta: _meta, ...read } = (entry?.resource ?? {}) as Resource;
        return read;
      };
      const confirm = (read: Resource) =>
        rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${read.id}`, {
          ...read,
          status: 'completed',
          occurrenceDateTime: '2026-12-02T10:00:00Z',
        });

      await t.test('two events of one item: each completed with its own quantity', async (t) => {
        sb.tracker.events.set('NativeCtn01', nativeEvent('NativeCtn01', facility, 'WAYBILL-80', CONDOM_CODE, '1000'));
        sb.tracker.events.set('NativeCtn02', nativeEvent('NativeCtn02', facility, 'WAYBILL-80', CONDOM_CODE, '440'));
        const read = await asRead('WAYBILL-80');
        t.equal(read.suppliedItem?.length, 2, 'read as two lines');
        const put = await confirm(read);
        t.match(put.status, /^20[01]$/, `confirmed: ${why(put)}`);
        t.same(
          held(),
          [
            ['NativeCtn01', 'COMPLETED', '1000'],
            ['NativeCtn02', 'COMPLETED', '440'],
          ],
          'both completed, each with its quantity, no twin (before: the second stayed ACTIVE)',
        );
        const merged = await confirm({ ...read, suppliedItem: [read.suppliedItem[0]] });
        t.equal(merged.status, 409, `one line for the two events is refused: ${why(merged)}`);
        t.match(merged.body.issue?.[0]?.diagnostics, /NativeCtn01.*NativeCtn02/, 'names both events');
      });

      await t.test('an event of an item the catalogue does not know: refused, naming it', async (t) => {
        sb.tracker.events.set('NativeUnk01', nativeEvent('NativeUnk01', facility, 'WAYBILL-81', CONDOM_CODE, '144'));
        sb.tracker.events.set('NativeUnk02', nativeEvent('NativeUnk02', facility, 'WAYBILL-81', 'XX_NOT_MAPPED', '5'));
        const before = held();
        const posts = sb.state.count('POST', '/api/tracker');
        const read = await asRead('WAYBILL-81');
        t.equal(read.suppliedItem?.length, 1, 'read as the one line it can name');
        const put = await confirm(read);
        t.equal(put.status, 409, `refused (before: the unknown item's event stayed ACTIVE): ${why(put)}`);
        t.match(put.body.issue?.[0]?.diagnostics, /NativeUnk02 \(item XX_NOT_MAPPED\)/, 'names the event and its item');
        t.match(put.body.issue?.[0]?.diagnostics, /products\.json/, 'says what to change');
        t.equal(sb.state.count('POST', '/api/tracker'), posts, 'nothing written');
        t.same(held(), before, 'the events as they were');
      });
    },
  );
}
