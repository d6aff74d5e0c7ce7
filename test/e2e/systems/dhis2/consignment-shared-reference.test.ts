/**
 * Two apps' deliveries with the same reference value at one org unit (`urn:a|1001`,
 * `urn:b|1001`). DHIS2 keeps the reference as a bare value, and a consignment is read as the
 * events of one reference at one org unit: before, the second delivery was read as the first's
 * consignment, refused naming the first's date when received at another instant, and written
 * beside the first's events (one consignment of both) when received at the same one. Now it is
 * a 409 naming the identifier and the other consignment, and nothing changes. Through the real
 * mediator, the DHIS2 connector and its sandbox, on both store engines.
 */
import t from 'tap';
import { CONSIGNMENT } from '../../../../sandbox/dhis2/index.js';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { why } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { CONSIGNMENT_ENV, consignmentDelivery } from '../../../support/dhis2-consignments.js';

type Resource = Record<string, any>;

const CONDOM = '10860012300034';
const DMPA = '10860012300027';

/** App `system`'s delivery 1001 received at `facility` on `at`. */
function delivery(system: string, facility: string, gtin: string, at: string): Resource {
  const d = consignmentDelivery({
    shipment: '1001',
    location: facility,
    lines: [{ gtin, value: 10, unit: 'pack' }],
    at,
  });
  d.identifier[0].system = system;
  return d;
}

for (const engine of engineCases()) {
  t.test(`two apps' deliveries sharing a reference value (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, CONSIGNMENT_ENV);
    const sb = rig.dhis2;
    const facility = sb.state.summary().orgUnits['LK-HC-103'];
    const first = await rig.fhir(
      'POST',
      '/fhir/R5/SupplyDelivery',
      delivery('urn:a', facility, CONDOM, '2026-12-01T09:15:00Z'),
    );
    t.equal(first.status, 201, why(first));
    const held = () =>
      [...sb.tracker.events.values()]
        .filter((e) => e.program === CONSIGNMENT.program)
        .map((e) => [e.event, e.status, e.occurredAt, e.dataValues.map((d) => d.value).join('/')]);
    const found = await rig.fhir('GET', `/fhir/R5/SupplyDelivery?destination=Location/${facility}`);
    const asListed = found.body.entry?.find((e: Resource) => e.resource.identifier?.[0]?.value === '1001')?.resource;
    t.ok(asListed?.id, `the first app's delivery is listed: ${why(found)}`);
    const before = held();
    const posts = sb.state.count('POST', '/api/tracker');

    for (const [label, at, gtin] of [
      ['received at another instant', '2026-12-03T10:00:00Z', DMPA],
      ['received at the same instant', '2026-12-01T09:15:00Z', DMPA],
      ['the same item at the same instant', '2026-12-01T09:15:00Z', CONDOM],
    ] as const) {
      const second = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', delivery('urn:b', facility, gtin, at));
      t.equal(second.status, 409, `${label}: ${why(second)}`);
      const issue = second.body.issue?.[0];
      t.same(issue?.expression, ['SupplyDelivery.identifier'], `${label}: the identifier named`);
      t.match(issue?.diagnostics, /another consignment uses this reference/, `${label}: says why`);
      // named by the search that lists it (before: by DHIS2's own id, which does not read
      // once the search lists the first app's delivery under the id its write came with)
      t.match(
        issue?.diagnostics,
        `listed by SupplyDelivery?destination=Location/${facility}`,
        `${label}: the search named`,
      );
      t.notMatch(issue?.diagnostics, /received at 2026-12-01/, `${label}: not the other's date`);
    }
    t.equal(sb.state.count('POST', '/api/tracker'), posts, 'nothing written to DHIS2');
    t.same(held(), before, "the first app's events as they were");

    const again = await rig.fhir(
      'POST',
      '/fhir/R5/SupplyDelivery',
      delivery('urn:a', facility, CONDOM, '2026-12-01T09:15:00Z'),
    );
    t.match(again.status, /^20[01]$/, `the first app's resend is in place: ${why(again)}`);
    const other = sb.state.summary().orgUnits['LK-HC-101'];
    const elsewhere = await rig.fhir(
      'POST',
      '/fhir/R5/SupplyDelivery',
      delivery('urn:b', other, DMPA, '2026-12-03T10:00:00Z'),
    );
    t.equal(elsewhere.status, 201, `the same reference at another org unit is another consignment: ${why(elsewhere)}`);
  });
}
