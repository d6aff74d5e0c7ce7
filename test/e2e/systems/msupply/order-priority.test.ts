/**
 * An urgent order reads back urgent from Open mSupply. A request requisition has no priority of
 * its own, so the mediator keeps the client's in the requisition's comment, beside the order
 * number and authoredOn: the write's answer and every read say `stat`, and the order as read,
 * PUT back unchanged (an app re-uploading what it synced), is the same order again, not a 422
 * for a priority it never changed. Through the real mediator and the Open mSupply sandbox, both
 * store engines.
 */
import t from 'tap';
import { orderLine, why } from '../../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };

for (const engine of engineCases())
  t.test(`${engine.name}: a stat order reads back stat`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(t, engine, FLOWS, { OPENLMIS_BASE_URL: '' });
    const line = {
      ...orderLine({ order: 'MS-PRI-1', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 300 }),
      id: 'ms-pri-1',
      priority: 'stat',
    };
    const created = await rig.fhir('PUT', '/fhir/SupplyRequest/ms-pri-1', line);
    t.equal(created.status, 201, why(created));
    t.equal(created.body.priority, 'stat', 'the answer says what was ordered');
    const read = await rig.fhir('GET', '/fhir/SupplyRequest/ms-pri-1');
    t.equal(read.status, 200, why(read));
    t.equal(read.body.priority, 'stat', 'and so does a read');
    const listed = await rig.fhir('GET', '/fhir/SupplyRequest?identifier=MS-PRI-1');
    t.same(
      listed.body.entry.map((e: any) => e.resource.priority),
      ['stat'],
    );

    const mutations = rig.ms.state.applied.length;
    const again = await rig.fhir('PUT', '/fhir/SupplyRequest/ms-pri-1', read.body);
    t.equal(again.status, 200, `the order as read, sent back, is the same order: ${why(again)}`);
    t.equal(rig.ms.state.applied.length, mutations, 'nothing sent to Open mSupply');

    const routine = {
      ...orderLine({ order: 'MS-PRI-2', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 100 }),
      id: 'ms-pri-2',
    };
    t.equal((await rig.fhir('PUT', '/fhir/SupplyRequest/ms-pri-2', routine)).status, 201);
    const comment = [...rig.ms.state.requisitions.values()].find((r: any) => r.theirReference === 'MS-PRI-2')?.comment;
    t.notMatch(comment, /priority/, 'a routine order carries no priority line');
  });
