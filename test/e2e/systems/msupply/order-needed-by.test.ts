/**
 * The date a facility needs its goods (SupplyRequest.occurrenceDateTime) reaches Open mSupply as
 * the request requisition's expectedDeliveryDate and reads back as occurrenceDateTime; the order
 * as read, PUT back unchanged, is the same order again (nothing sent), not an amendment. Through
 * the real mediator and the Open mSupply sandbox, both store engines.
 */
import t from 'tap';
import { orderLine, why } from '../../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };

for (const engine of engineCases())
  t.test(`${engine.name}: the needed-by date is kept and read back`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(t, engine, FLOWS, { OPENLMIS_BASE_URL: '' });
    const line = {
      ...orderLine({ order: 'MS-NEED-1', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 300 }),
      id: 'ms-need-1',
      occurrenceDateTime: '2024-05-15',
    };
    const created = await rig.fhir('PUT', '/fhir/SupplyRequest/ms-need-1', line);
    t.equal(created.status, 201, why(created));
    const requisition = [...rig.ms.state.requisitions.values()].find((r: any) => r.theirReference === 'MS-NEED-1');
    t.equal(requisition?.expectedDeliveryDate, '2024-05-15', "Open mSupply's expected delivery date");
    t.equal(created.body.occurrenceDateTime, '2024-05-15', 'the answer says when it is needed');
    const read = await rig.fhir('GET', '/fhir/SupplyRequest/ms-need-1');
    t.equal(read.status, 200, why(read));
    t.equal(read.body.occurrenceDateTime, '2024-05-15', 'and so does a read');

    const mutations = rig.ms.state.applied.length;
    const again = await rig.fhir('PUT', '/fhir/SupplyRequest/ms-need-1', read.body);
    t.equal(again.status, 200, `the order as read, sent back, is the same order: ${why(again)}`);
    t.equal(rig.ms.state.applied.length, mutations, 'nothing sent to Open mSupply');

    // an order naming a period: its end is the expected delivery date; read and sent back, the same order
    const period = {
      ...orderLine({ order: 'MS-NEED-2', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 50 }),
      id: 'ms-need-2',
      occurrencePeriod: { start: '2024-06-01', end: '2024-06-30' },
    };
    t.equal((await rig.fhir('PUT', '/fhir/SupplyRequest/ms-need-2', period)).status, 201);
    const second = [...rig.ms.state.requisitions.values()].find((r: any) => r.theirReference === 'MS-NEED-2');
    t.equal(second?.expectedDeliveryDate, '2024-06-30', "the period's end");
    const readPeriod = await rig.fhir('GET', '/fhir/SupplyRequest/ms-need-2');
    const before = rig.ms.state.applied.length;
    const back = await rig.fhir('PUT', '/fhir/SupplyRequest/ms-need-2', readPeriod.body);
    t.equal(back.status, 200, `the order as read, sent back: ${why(back)}`);
    t.equal(rig.ms.state.applied.length, before, 'nothing sent to Open mSupply');
  });

// the needed-by date is the order's: lines of one order naming different dates are refused, in a
// transaction as in a PUT of one line of a stored order, naming the line, and nothing reaches Open mSupply
for (const engine of engineCases())
  t.test(`${engine.name}: lines of one order disagreeing on the needed-by date`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(t, engine, FLOWS, { OPENLMIS_BASE_URL: '' });
    const lineOf = (product: string, id: string, date: string) => ({
      ...orderLine({ order: 'MS-NEED-3', facilityId: STORE, program: 'EM01', productCode: product, qty: 40 }),
      id,
      occurrenceDateTime: date,
    });
    const put = (r: any) => ({ resource: r, request: { method: 'PUT', url: `SupplyRequest/${r.id}` } });
    const before = rig.ms.state.applied.length;
    const mixed = await rig.fhir('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [put(lineOf('EM-AMX250', 'ms-need-3a', '2024-05-15')), put(lineOf('EM-ORS', 'ms-need-3b', '2024-07-01'))],
    });
    t.equal(mixed.status, 422, why(mixed));
    t.same(mixed.body.issue?.[0]?.expression, ['Bundle.entry[1].resource'], 'names the second line');
    t.match(mixed.body.issue?.[0]?.diagnostics, /occurrence/, 'and says what differs');
    t.equal(rig.ms.state.applied.length, before, 'nothing sent to Open mSupply');

    // only the second line says when: the order takes its date, not the first line's silence
    const { occurrenceDateTime: _none, ...undated } = lineOf('EM-AMX250', 'ms-need-4a', '');
    const lazy = await rig.fhir('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        put({ ...undated, identifier: [{ ...undated.identifier[0], value: 'MS-NEED-4' }] }),
        put({
          ...lineOf('EM-ORS', 'ms-need-4b', '2024-08-01'),
          identifier: [{ ...undated.identifier[0], value: 'MS-NEED-4' }],
        }),
      ],
    });
    t.equal(lazy.status, 200, why(lazy));
    const fourth = [...rig.ms.state.requisitions.values()].find((r: any) => r.theirReference === 'MS-NEED-4');
    t.equal(fourth?.expectedDeliveryDate, '2024-08-01', 'the date one line gave is kept');

    const agreed = await rig.fhir('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [put(lineOf('EM-AMX250', 'ms-need-3a', '2024-05-15')), put(lineOf('EM-ORS', 'ms-need-3b', '2024-05-15'))],
    });
    t.equal(agreed.status, 200, why(agreed));
    const sent = rig.ms.state.applied.length;
    const moved = await rig.fhir('PUT', '/fhir/SupplyRequest/ms-need-3b', lineOf('EM-ORS', 'ms-need-3b', '2024-07-01'));
    t.equal(moved.status, 422, `one line cannot move the order's date: ${why(moved)}`);
    t.same(moved.body.issue?.[0]?.expression, ['SupplyRequest'], 'names the line');
    t.equal(rig.ms.state.applied.length, sent, 'nothing sent to Open mSupply');
    const read = await rig.fhir('GET', '/fhir/SupplyRequest/ms-need-3b');
    t.equal(read.body.occurrenceDateTime, '2024-05-15', 'the order keeps its date');
    // the same day as a time, as a client keeping times sends it: the same order, not a difference
    const sameDay = await rig.fhir('PUT', '/fhir/SupplyRequest/ms-need-3b', {
      ...read.body,
      occurrenceDateTime: '2024-05-15T09:00:00Z',
    });
    t.not(sameDay.status, 422, `the same day is not another date: ${why(sameDay)}`);
    // every line, in one transaction, with a new date: a change of the whole order (an amendment,
    // which Open mSupply refuses once SENT), not lines that disagree
    const whole = await rig.fhir('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [put(lineOf('EM-AMX250', 'ms-need-3a', '2024-07-01')), put(lineOf('EM-ORS', 'ms-need-3b', '2024-07-01'))],
    });
    t.match(JSON.stringify(whole.body), /SENT/, `an amendment of the order: ${why(whole)}`);
  });
