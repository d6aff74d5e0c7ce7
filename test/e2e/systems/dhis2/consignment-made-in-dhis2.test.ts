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
import { CONSIGNMENT_ENV } from '../../../support/dhis2-consignments.js';

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
