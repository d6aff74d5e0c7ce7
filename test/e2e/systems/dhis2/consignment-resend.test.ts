/**
 * A completed DHIS2 consignment sent again with another date. DHIS2 keeps the client's date as
 * each event's occurredAt, to the millisecond. A resend stating the same lines at the same instant
 * (in any zone) is in place: 200, unchanged, nothing written. One at another instant is a change of
 * a completed delivery: 409 naming the date, as OpenLMIS's confirmed proof of delivery answers
 * (its events are written once under the delivery's key, so the change would never be written).
 * Before, it was answered 200 unchanged, and the app believed its corrected date had landed.
 * Through the real mediator, the DHIS2 connector and its sandbox, on both store engines.
 */
import t from 'tap';
import { CONSIGNMENT } from '../../../../sandbox/dhis2/index.js';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { why } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { CONSIGNMENT_ENV, consignmentDelivery } from '../../../support/dhis2-consignments.js';

type Resource = Record<string, any>;

const CONDOM = '10860012300034';

/** A completed consignment of 10 packs of condoms received at `facility` on `at`. */
function consignment(facility: string, at: string): Resource {
  const lines = [{ gtin: CONDOM, value: 10, unit: 'pack' as const }];
  return consignmentDelivery({ shipment: 'SHP-RESEND-1', location: facility, lines, at });
}

for (const engine of engineCases()) {
  t.test(
    `a completed DHIS2 consignment sent again with a corrected date (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, CONSIGNMENT_ENV);
      const sb = rig.dhis2;
      const facility = sb.state.summary().orgUnits['LK-HC-103'];
      const posted = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, '2026-12-01T09:15:00Z'));
      t.equal(posted.status, 201, why(posted));
      const events = () => [...sb.tracker.events.values()].filter((e) => e.program === CONSIGNMENT.program);
      t.same(
        events().map((e) => e.occurredAt),
        ['2026-12-01T09:15:00.000'],
        'one event, at the date received',
      );
      const read = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${posted.body.id}`);
      t.equal(read.status, 200, why(read));
      t.equal(read.body.occurrenceDateTime, '2026-12-01T09:15:00.000Z', 'read at the precision DHIS2 keeps');
      const path = `/fhir/R5/SupplyDelivery/${read.body.id}`;
      const { meta: _meta, ...asRead } = read.body as Resource;

      const posts = () => sb.state.count('POST', '/api/tracker');
      const before = posts();
      const again = await rig.fhir('PUT', path, { ...asRead, occurrenceDateTime: '2026-12-01T11:15:00+02:00' });
      t.equal(again.status, 200, `the same instant in another zone is in place: ${why(again)}`);
      t.equal(posts(), before, 'nothing written to DHIS2');

      for (const [label, at] of [
        ['PUT with a corrected date', '2026-12-09'],
        ['PUT a millisecond later', '2026-12-01T09:15:00.001Z'],
      ] as const) {
        const changed = await rig.fhir('PUT', path, { ...asRead, occurrenceDateTime: at });
        t.equal(changed.status, 409, `${label} (before: 200, unchanged): ${why(changed)}`);
        t.same(changed.body.issue?.[0]?.expression, ['SupplyDelivery.occurrenceDateTime'], `${label}: the element`);
        t.match(changed.body.issue?.[0]?.diagnostics, /completed delivery cannot be changed/, `${label}: says why`);
      }
      const posted2: Resource = { ...consignment(facility, '2026-12-09') };
      const create = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', posted2);
      t.equal(create.status, 409, `POST with the corrected date: ${why(create)}`);
      t.same(create.body.issue?.[0]?.expression, ['SupplyDelivery.occurrenceDateTime']);
      const bundle = await rig.fhir('POST', '/fhir/R5', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            resource: { ...asRead, occurrenceDateTime: '2026-12-09' },
            request: { method: 'PUT', url: `SupplyDelivery/${read.body.id}` },
          },
        ],
      });
      t.equal(bundle.status, 409, `a transaction entry with the corrected date: ${why(bundle)}`);
      t.same(bundle.body.issue?.[0]?.expression, ['Bundle.entry[0].resource.occurrenceDateTime']);
      t.equal(posts(), before, 'nothing written to DHIS2');
      t.same(
        events().map((e) => [e.status, e.occurredAt]),
        [['COMPLETED', '2026-12-01T09:15:00.000']],
        'the event keeps the first confirmation',
      );
    },
  );
}

// found by review RD: an offset was sent as is (only a trailing Z was cut), and DHIS2, converting it
// to its server's zone, exports a time the mediator reads back as another instant; UTC wall time
// reads back as sent whatever the server's zone
for (const engine of engineCases()) {
  t.test(`a consignment received at a time with an offset (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, CONSIGNMENT_ENV);
    const facility = rig.dhis2.state.summary().orgUnits['LK-HC-103'];
    const posted = await rig.fhir(
      'POST',
      '/fhir/R5/SupplyDelivery',
      consignment(facility, '2026-12-01T11:15:00+02:00'),
    );
    t.equal(posted.status, 201, why(posted));
    t.same(
      [...rig.dhis2.tracker.events.values()].filter((e) => e.program === CONSIGNMENT.program).map((e) => e.occurredAt),
      ['2026-12-01T09:15:00.000'],
      'written as UTC wall time',
    );
  });
}

// a time without a zone names no instant: the edge refuses it (FHIR requires a zone with a time),
// so a client's time never reaches the connector's reading of a zone-less time as UTC
for (const engine of engineCases()) {
  t.test(`a consignment received at a time without a zone (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, CONSIGNMENT_ENV);
    const facility = rig.dhis2.state.summary().orgUnits['LK-HC-103'];
    const posted = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, '2026-12-01T09:15:00'));
    t.equal(posted.status, 400, why(posted));
    const issue = posted.body.issue?.find((i: Resource) => /timezone/.test(i.diagnostics ?? ''));
    t.same(issue?.expression, ['SupplyDelivery.occurrenceDateTime'], 'the element named');
    t.equal(rig.dhis2.state.count('POST', '/api/tracker'), 0, 'nothing written');
  });
}
