/**
 * `SupplyDelivery?supplier=` matches the supplying facility, a Location, on every system, while
 * the CapabilityStatement pointed at FHIR's SupplyDelivery-supplier (SupplyDelivery.supplier,
 * which may reference only a Practitioner, PractitionerRole or Organization) and a delivery named
 * its supplier by name alone: a client could not learn the id to search by. Now a delivery
 * carries the supplying Location in the supplying-location extension (supplier keeps the name
 * only), and the parameter is our own definition, on that extension. Through the Open mSupply
 * sandbox, on both store engines.
 */
import t from 'tap';
import { orderLine, why } from '../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore } from '../../support/msupply-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';

const STORE = 'store-hc-north';
const WAREHOUSE = 'store-wh-central';
const SUPPLYING = 'http://fhir-supply-mediator.org/fhir/StructureDefinition/supplying-location';
const rule = { ...toStore(STORE), default: 'msupply' };

for (const engine of engineCases())
  t.test(`${engine.name}: a delivery names the Location a supplier search takes`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(t, engine, { orders: rule, deliveries: rule }, { OPENLMIS_BASE_URL: '' });
    const ordered = await rig.fhir(
      'POST',
      '/fhir/SupplyRequest',
      orderLine({ order: 'SUP-LOC-1', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 300 }),
    );
    t.equal(ordered.status, 201, why(ordered));
    const response = await until('the response requisition', async () =>
      [...rig.ms.state.requisitions.values()].find((r) => r.type === 'RESPONSE' && r.theirReference === 'SUP-LOC-1'),
    );
    const { inbound } = rig.ms.state.shipResponseRequisition(response.id);

    for (const base of ['/fhir', '/fhir/R5']) {
      const listed = await rig.fhir(
        'GET',
        `${base}/SupplyDelivery?destination=${encodeURIComponent(`Location/${STORE}`)}`,
      );
      t.equal(listed.status, 200, why(listed));
      const delivery = listed.body.entry?.[0]?.resource;
      t.ok(delivery, `${base}: the facility's inbound delivery`);
      const supplying = delivery?.extension?.find((e: any) => e.url === SUPPLYING)?.valueReference;
      t.equal(supplying?.reference, `Location/${WAREHOUSE}`, `${base}: it names the supplying Location`);
      t.notOk(delivery?.supplier?.reference, `${base}: supplier references no Location (FHIR allows none there)`);
      t.ok(delivery?.supplier?.display, `${base}: supplier keeps the name`);

      // the id it carries is the one the search takes
      const bySupplier = await rig.fhir(
        'GET',
        `${base}/SupplyDelivery?destination=${encodeURIComponent(`Location/${STORE}`)}&supplier=${encodeURIComponent(supplying?.reference ?? 'none')}`,
      );
      t.equal(bySupplier.status, 200, why(bySupplier));
      const found = (bySupplier.body.entry ?? []).map((e: any) => e.resource);
      t.ok(found.length, `${base}: the shipment found by it`);
      t.ok(
        found.every(
          (d: any) =>
            d.extension?.find((e: any) => e.url === SUPPLYING)?.valueReference?.reference === `Location/${WAREHOUSE}` &&
            d.destination?.reference === `Location/${STORE}`,
        ),
        `${base}: each from that Location, to the facility`,
      );
      const elsewhere = await rig.fhir(
        'GET',
        `${base}/SupplyDelivery?destination=${encodeURIComponent(`Location/${STORE}`)}&supplier=Location/${STORE}`,
      );
      t.same(elsewhere.body.entry ?? [], [], `${base}: not by another Location`);

      // the CapabilityStatement's definition is ours, on that extension, targeting Location
      const metadata = await rig.fhir('GET', `${base}/metadata`);
      const param = metadata.body.rest[0].resource
        .find((r: any) => r.type === 'SupplyDelivery')
        .searchParam.find((p: any) => p.name === 'supplier');
      t.notMatch(param.definition, /^http:\/\/hl7\.org\//, `${base}: not FHIR's SupplyDelivery-supplier`);
      const definition = await rig.fhir('GET', `${base}/SearchParameter/${param.definition.split('/').pop()}`);
      t.equal(definition.status, 200, why(definition));
      t.match(definition.body, { url: param.definition, code: 'supplier', target: ['Location'] });
      t.ok(definition.body.expression.includes(SUPPLYING), `${base}: its expression is the extension`);
    }
    t.ok(inbound, 'shipped');
  });
