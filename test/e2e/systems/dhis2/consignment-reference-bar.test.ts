/**
 * A consignment's reference is free text (entered in DHIS2, or an app's delivery number written
 * by the mediator), and may hold `|`. Its events were grouped under `orgUnit|reference` and split
 * back at the first bar: a consignment referenced `WAYBILL|77` was read as `WAYBILL`, under which
 * no app finds it and any confirmation of it is keyed as another delivery. Read through the real
 * mediator, the DHIS2 connector and its sandbox.
 */
import t from 'tap';
import { CONSIGNMENT } from '../../../../sandbox/dhis2/index.js';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { why } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { CONSIGNMENT_ENV } from '../../../support/dhis2-consignments.js';

type Resource = Record<string, any>;

for (const engine of engineCases()) {
  t.test(`a consignment whose reference holds a bar (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, CONSIGNMENT_ENV);
    const sb = rig.dhis2;
    const facility = sb.state.summary().orgUnits['LK-HC-103'];
    const now = new Date().toISOString();
    for (const [event, reference] of [
      ['BarEvt00001', 'WAYBILL|77'],
      ['BarEvt00002', 'WAYBILL|78'],
    ])
      sb.tracker.events.set(event, {
        event,
        program: CONSIGNMENT.program,
        programStage: CONSIGNMENT.stage,
        orgUnit: facility,
        occurredAt: '2026-12-01T09:15:00',
        status: 'ACTIVE',
        dataValues: [
          { dataElement: CONSIGNMENT.item, value: 'FP_CNDM' },
          { dataElement: CONSIGNMENT.quantity, value: '1440' },
          { dataElement: CONSIGNMENT.reference, value: reference },
        ],
        notes: [],
        createdAt: now,
        updatedAt: now,
      });
    const found = await rig.fhir('GET', `/fhir/R5/SupplyDelivery?destination=Location/${facility}`);
    t.equal(found.status, 200, why(found));
    const values = ((found.body.entry ?? []) as Resource[]).map((e) => e.resource.identifier?.[0]?.value).sort();
    t.same(values, ['WAYBILL|77', 'WAYBILL|78'], 'each consignment under its whole reference');
  });
}
