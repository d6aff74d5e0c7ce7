/**
 * OpenMRS on a bad day, through the real mediator (startMediator, embedded SQLite) and the OpenMRS
 * sandbox: what an implementer meets when the data or the server misbehave, and that each is
 * refused in words (or recovered from) with nothing written twice or silently dropped.
 */
import t from 'tap';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { ORDER_NUMBER_TYPE, UNIT_SYSTEM } from '../../../../src/fhir/conventions.js';
import { DEFAULT_REGISTRY_CODE_SYSTEM as CODE } from '../../../../src/systems/openmrs/settings.js';
import { GTIN, startOpenMrsRig, why } from '../../../support/openmrs-e2e.js';
import { openmrsInventoryReport } from '../../../support/openmrs-inventory-report.js';

const NOWHERE = '0d3c2b1a-1111-4a2b-8c3d-0000000000ff';

t.test('a Location whose partOf OpenMRS does not have: refused at Location.partOf, nothing written', async (t) => {
  const rig = await startOpenMrsRig('openmrs-bad-day');
  t.teardown(() => rig.close());
  const { sb, fhir } = rig;
  const location = (partOf: string) => ({
    resourceType: 'Location',
    id: 'registry-tumaini-1',
    identifier: [{ system: CODE, value: 'SBX-90002' }],
    status: 'active',
    name: 'Tumaini Clinic',
    partOf: { reference: `Location/${partOf}` },
  });

  // a create: once made without its parent, the answer would say created while the tree is wrong
  const created = await fhir('PUT', '/fhir/Location/registry-tumaini-1', location(NOWHERE));
  t.equal(created.status, 422, why(created));
  t.equal(created.body.issue[0].expression?.[0], 'Location.partOf');
  t.match(why(created), `Location/${NOWHERE} is not an OpenMRS location`);
  t.same(sb.store.writes, {}, 'nothing written');

  // a move of an existing facility: its parent is not quietly kept as it was
  const made = await fhir('PUT', '/fhir/Location/registry-tumaini-1', location(LOC.nairobiCounty));
  t.ok([200, 201].includes(made.status), why(made));
  const uuid = [...sb.store.locations.values()].find((l) => l.name === 'Tumaini Clinic')!.uuid;
  t.equal(sb.store.locations.get(uuid)!.parentUuid, LOC.nairobiCounty);
  const moved = await fhir('PUT', '/fhir/Location/registry-tumaini-1', {
    ...location(NOWHERE),
    name: 'Tumaini Health Centre',
  });
  t.equal(moved.status, 422, why(moved));
  t.equal(moved.body.issue[0].expression?.[0], 'Location.partOf');
  t.same(sb.store.writes, { 'location.create': 1 }, 'the rename that came with it is not written either');
  t.equal(sb.store.locations.get(uuid)!.name, 'Tumaini Clinic');
  t.equal(sb.store.locations.get(uuid)!.parentUuid, LOC.nairobiCounty);
});

// 44 characters: with "|" and a 15-character count number, 60 (OpenMRS keeps 50)
const MOH_COUNTS = 'http://moh.example.go.ke/fhir/id/stock-count';

const count = (system: string, value: string, note?: string) =>
  openmrsInventoryReport({ identifier: { system, value }, note });

t.test('an identifier or note longer than OpenMRS keeps: refused in words, not retried as an outage', async (t) => {
  const rig = await startOpenMrsRig('openmrs-bad-day-lengths');
  t.teardown(() => rig.close());
  const { sb, fhir } = rig;
  const operations = () => sb.stock.operations.size;
  const before = operations();

  // stockmgmt_stock_operation.external_reference is VARCHAR(50): OpenMRS answers the insert 500
  const long = await fhir('POST', '/fhir/R5/InventoryReport', count(MOH_COUNTS, 'CNT-2026-000123'));
  t.equal(long.status, 422, why(long));
  t.equal(long.body.issue[0].expression?.[0], 'InventoryReport.identifier');
  t.match(why(long), /at most 50 characters .* 60 here/);

  const noted = await fhir(
    'POST',
    '/fhir/R5/InventoryReport',
    count('https://app.example.org/counts', 'CNT-OMRS-9', 'recount after the flood: '.repeat(11)),
  );
  t.equal(noted.status, 422, why(noted));
  t.equal(noted.body.issue[0].expression?.[0], 'InventoryReport.note');
  t.match(why(noted), /at most 255 characters .* 275/);

  const order = await fhir('POST', '/fhir/SupplyRequest', {
    resourceType: 'SupplyRequest',
    status: 'active',
    priority: 'routine',
    identifier: [
      {
        type: { coding: [ORDER_NUMBER_TYPE] },
        system: 'http://moh.example.go.ke/fhir/id/order',
        value: 'ORD-2026-0000042',
      },
    ],
    itemCodeableConcept: { coding: [{ system: GTIN, code: '10860012300058' }] },
    quantity: { value: 20, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' },
    authoredOn: '2026-12-01T08:00:00Z',
    deliverTo: { reference: `Location/${LOC.kilima}` },
    deliverFrom: { reference: `Location/${LOC.mwangaza}` },
  });
  t.equal(order.status, 422, why(order));
  t.equal(order.body.issue[0].expression?.[0], 'SupplyRequest.identifier');
  t.equal(operations(), before, 'no stock operation created');

  // one that fits is written as before
  const fits = await fhir('POST', '/fhir/R5/InventoryReport', count('https://app.example.org/counts', 'CNT-OMRS-9'));
  t.ok([201, 202].includes(fits.status), why(fits));
});

t.test(
  'a session that ends in a gateway login page (200 HTML): logged in afresh, the rename written once',
  async (t) => {
    const rig = await startOpenMrsRig('openmrs-bad-day-login-page');
    t.teardown(() => rig.close());
    const { sb, fhir } = rig;
    const location = (name: string) => ({
      resourceType: 'Location',
      id: 'registry-upendo-1',
      identifier: [{ system: CODE, value: 'SBX-90003' }],
      status: 'active',
      name,
    });
    const made = await fhir('PUT', '/fhir/Location/registry-upendo-1', location('Upendo Clinic'));
    t.ok([200, 201].includes(made.status), why(made));

    sb.store.expiredSessionAnswer = 'loginPage';
    sb.store.expireSessions();
    const read = await fhir('GET', `/fhir/Location/${LOC.mwangaza}`);
    t.equal(read.status, 200, `a read after the session ended: ${why(read)}`);
    t.equal(read.body.name, 'Mwangaza Health Centre');

    sb.store.expireSessions();
    const renamed = await fhir('PUT', '/fhir/Location/registry-upendo-1', location('Upendo Health Centre'));
    t.equal(renamed.status, 200, why(renamed));
    const upendo = [...sb.store.locations.values()].filter((l) => l.name.startsWith('Upendo'));
    t.same(
      upendo.map((l) => l.name),
      ['Upendo Health Centre'],
      'renamed, never a twin',
    );
    t.same(sb.store.writes, { 'location.create': 1, 'location.update': 1 }, 'each write once');
  },
);
