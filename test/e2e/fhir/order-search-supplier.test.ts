/**
 * `SupplyRequest?supplier=` names the Location an order is delivered from (`deliverFrom`). Only
 * Open mSupply's and DHIS2's order searches took it: OpenLMIS listed its orders for any supplier,
 * and `supplier=Location/[id]` (a reference, as FHIR writes it) was handed to Open mSupply as a
 * store id, so the warehouse's own orders were never found. Now it holds on every system. Through
 * the OpenLMIS and Open mSupply sandboxes together, on both store engines.
 */
import t from 'tap';
import { orderLine, why } from '../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore } from '../../support/msupply-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

const STORE = 'store-hc-north';
const WAREHOUSE = 'store-wh-central';

for (const engine of engineCases())
  t.test(`${engine.name}: supplier matches deliverFrom on every system`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(t, engine, { orders: { ...toStore(STORE), default: 'openlmis' } });
    const lmisFacility = rig.lmis.seed.facilities['LK-HC-101'];
    const lmis = await rig.fhir(
      'POST',
      '/fhir/SupplyRequest',
      orderLine({ order: 'SUP-LMIS-1', facilityId: lmisFacility, program: 'EM01', productCode: 'EM-AMX250', qty: 300 }),
    );
    t.equal(lmis.status, 201, why(lmis));
    t.notOk(lmis.body.deliverFrom, 'OpenLMIS has not chosen its depot yet');
    const ms = await rig.fhir(
      'POST',
      '/fhir/SupplyRequest',
      orderLine({ order: 'SUP-MS-1', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 300 }),
    );
    t.equal(ms.status, 201, why(ms));
    t.equal(ms.body.deliverFrom?.reference, `Location/${WAREHOUSE}`, 'Open mSupply supplies it from the warehouse');

    const ordersOf = async (query: string) => {
      const res = await rig.fhir('GET', `/fhir/SupplyRequest?${query}`);
      t.equal(res.status, 200, `${query}: ${why(res)}`);
      return (res.body.entry ?? []).map((e: any) => e.resource) as any[];
    };
    const numbers = (orders: any[]) => orders.map((o) => o.identifier[0].value).sort();
    t.same(numbers(await ordersOf('')), ['SUP-LMIS-1', 'SUP-MS-1'], 'both orders are listed');

    const fromWarehouse = await ordersOf(`supplier=${encodeURIComponent(`Location/${WAREHOUSE}`)}`);
    t.same(numbers(fromWarehouse), ['SUP-MS-1'], 'the warehouse supplies the Open mSupply order only');
    t.ok(
      fromWarehouse.every((o) => o.deliverFrom?.reference === `Location/${WAREHOUSE}`),
      'each delivered from it',
    );
    t.same(numbers(await ordersOf(`supplier=${WAREHOUSE}`)), ['SUP-MS-1'], 'a bare id names the same Location');
    t.same(await ordersOf(`supplier=${encodeURIComponent('Location/no-such-depot')}`), [], 'no order from elsewhere');
    t.same(await ordersOf(`supplier=${encodeURIComponent(`Location/${lmisFacility}`)}`), [], 'nor from a clinic');

    // the CapabilityStatement says what it matches: our definition, served, not FHIR's (SupplyRequest.supplier)
    for (const base of ['/fhir', '/fhir/R5']) {
      const metadata = await rig.fhir('GET', `${base}/metadata`);
      const param = metadata.body.rest[0].resource
        .find((r: any) => r.type === 'SupplyRequest')
        .searchParam.find((p: any) => p.name === 'supplier');
      const definition = await rig.fhir('GET', `${base}/SearchParameter/${param.definition.split('/').pop()}`);
      t.equal(definition.status, 200, why(definition));
      t.match(definition.body, { url: param.definition, code: 'supplier', expression: 'SupplyRequest.deliverFrom' });
    }
  });
