/**
 * One Open mSupply delivery has one FHIR id, whichever search finds it. The warehouse's outbound
 * shipment and the inbound shipment Open mSupply's transfer processor makes from it in the
 * receiving store are one delivery: `SupplyDelivery?supplier=<warehouse>` listed the outbound
 * under ids of its own (and, once received, still in progress with the quantities shipped), so a
 * mobile client syncing both ways stored the delivery twice. Now it lists the delivery as its
 * inbound shipment (same ids, status and version, R4 and R5), and an id the warehouse's copy was
 * handed out under is redirected (301) to the delivery's. Through the Open mSupply sandbox, on
 * both store engines.
 */
import t from 'tap';
import { RIG_AUTH, orderLine, why } from '../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore } from '../../support/msupply-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';
import { deliveryLineId } from '../../../src/domain/line-ids.js';
import { SHIPMENT_SYSTEM } from '../../../src/systems/msupply/identifiers.js';

const STORE = 'store-hc-north';
const WAREHOUSE = 'store-wh-central';
const rule = { ...toStore(STORE), default: 'msupply' };
const facilitySearch = `destination=${encodeURIComponent(`Location/${STORE}`)}`;
const warehouseSearch = `supplier=${encodeURIComponent(`Location/${WAREHOUSE}`)}`;

for (const engine of engineCases())
  t.test(`${engine.name}: an Open mSupply delivery has one id, whoever searches`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(t, engine, { orders: rule, deliveries: rule }, { OPENLMIS_BASE_URL: '' });
    const ordered = await rig.fhir(
      'POST',
      '/fhir/SupplyRequest',
      orderLine({ order: 'DLV-ONE-ID-1', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 300 }),
    );
    t.equal(ordered.status, 201, why(ordered));
    const response = await until('the response requisition', async () =>
      [...rig.ms.state.requisitions.values()].find((r) => r.type === 'RESPONSE' && r.theirReference === 'DLV-ONE-ID-1'),
    );
    const { outbound, inbound } = rig.ms.state.shipResponseRequisition(response.id);

    /** Each delivery resource a search lists, by id. */
    const search = async (base: string, query: string) => {
      const res = await rig.fhir('GET', `${base}/SupplyDelivery?${query}`);
      t.equal(res.status, 200, `${base} ${query}: ${why(res)}`);
      return new Map<string, any>((res.body.entry ?? []).map((e: any) => [e.resource.id, e.resource]));
    };
    /** Both searches list the same resources: same ids, versions and status. */
    const sameInBoth = async (base: string, status: string) => {
      const facility = await search(base, facilitySearch);
      const warehouse = await search(base, warehouseSearch);
      t.ok(facility.size > 0, `${base}: the facility's search lists the delivery`);
      t.same([...warehouse.keys()].sort(), [...facility.keys()].sort(), `${base}: one id in both searches`);
      for (const [id, mine] of facility) {
        const theirs = warehouse.get(id);
        t.equal(theirs?.meta?.versionId, mine.meta.versionId, `${base} ${id}: one version in both`);
        t.equal(theirs?.status, status, `${base} ${id}: ${status} in the warehouse's search`);
        t.equal(mine.status, status, `${base} ${id}: ${status} in the facility's`);
      }
      return warehouse;
    };

    const r5 = await sameInBoth('/fhir/R5', 'in-progress');
    t.same([...r5.keys()], [inbound!.id], "R5: the warehouse's search lists the inbound shipment's id");
    const r4 = await sameInBoth('/fhir', 'in-progress');

    // a read by the id the warehouse's search gave: the version it listed, an If-Match on it is taken
    const read = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${inbound!.id}`);
    t.equal(read.status, 200, why(read));
    t.equal(
      read.headers.get('etag'),
      `W/"${r5.get(inbound!.id)?.meta?.versionId}"`,
      'its ETag names the version listed',
    );
    const confirm = structuredClone(read.body);
    confirm.status = 'completed';
    for (const item of confirm.suppliedItem)
      item.quantity = { ...item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity };
    const confirmed = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${inbound!.id}`, confirm, {
      'If-Match': read.headers.get('etag')!,
    });
    t.equal(confirmed.status, 200, `confirmed on the id the warehouse's search gave: ${why(confirmed)}`);
    t.equal(rig.ms.state.invoices.get(inbound!.id)!.status, 'RECEIVED', 'the inbound shipment is RECEIVED');
    t.equal(rig.ms.state.invoices.get(outbound.id)!.status, 'SHIPPED', 'the outbound shipment stays SHIPPED');
    // received: both searches say so, in one version (the outbound shipment alone says SHIPPED)
    await sameInBoth('/fhir/R5', 'completed');
    await sameInBoth('/fhir', 'completed');

    // ids the warehouse's copy was listed under before still read: a redirect to the delivery's
    const moved = async (base: string, former: string, now: string) => {
      const res = await fetch(`${rig.mediator.url}${base}/SupplyDelivery/${former}`, {
        headers: { authorization: RIG_AUTH, accept: 'application/fhir+json' },
        redirect: 'manual',
      });
      const said = await res.text();
      t.equal(res.status, 301, `${base} ${former}: ${said}`);
      t.match(
        res.headers.get('location'),
        new RegExp(`${base}/SupplyDelivery/${now}$`),
        `${base}: to the delivery's id`,
      );
      // what happened: the warehouse's copy now reads as the delivery (not "its system's own id")
      t.match(
        JSON.parse(said).issue[0].diagnostics,
        `${former} was an id of the warehouse's copy of the shipment (its Open mSupply outbound shipment, once listed under ids of its own); the same shipment now reads as the facility's inbound shipment, under the id every search gives it, SupplyDelivery/${now}`,
        `${base}: the redirect says the id was the warehouse copy's`,
      );
    };
    await moved('/fhir/R5', outbound.id, inbound!.id);
    // a change by that former id: a 409 naming the id to change it as, at the resource's id, and
    // nothing written; not the read's 301, which OkHttp follows as a GET without the body
    const applied = rig.ms.state.applied.length;
    const { meta: _meta, ...content } = (await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${inbound!.id}`)).body;
    const changes: [string, unknown, string][] = [
      ['PUT', { ...content, id: outbound.id }, 'application/fhir+json'],
      ['PATCH', [{ op: 'replace', path: '/status', value: 'completed' }], 'application/json-patch+json'],
    ];
    for (const [method, body, type] of changes) {
      const res = await fetch(`${rig.mediator.url}/fhir/R5/SupplyDelivery/${outbound.id}`, {
        method,
        body: JSON.stringify(body),
        headers: { authorization: RIG_AUTH, accept: 'application/fhir+json', 'content-type': type },
        redirect: 'manual',
      });
      const said = JSON.parse(await res.text());
      t.equal(res.status, 409, `${method} by the former id: ${JSON.stringify(said)}`);
      t.equal(res.headers.get('location'), null, `${method}: no redirect to follow`);
      t.match(said.issue?.[0]?.diagnostics, `change it as ${inbound!.id}`, `${method}: names the id to use`);
      t.same(said.issue?.[0]?.expression, ['SupplyDelivery.id'], `${method}: at the resource's id`);
    }
    const entry = await rig.fhir('POST', '/fhir/R5', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { ...content, id: outbound.id }, request: { method: 'PUT', url: `SupplyDelivery/${outbound.id}` } },
      ],
    });
    t.equal(entry.status, 409, `a transaction entry by the former id: ${why(entry)}`);
    t.match(entry.body.issue?.[0]?.diagnostics, `change it as ${inbound!.id}`);
    t.same(entry.body.issue?.[0]?.expression, ['Bundle.entry[0].resource.id'], "at the entry's resource.id");
    t.equal(rig.ms.state.applied.length, applied, 'nothing sent to Open mSupply');
    // an R4 line id of the outbound shipment, linked to it as the old search linked it
    const line = [...r4.values()][0];
    const coding = line.suppliedItem.itemCodeableConcept.coding[0];
    const product = { system: coding.system, code: coding.code };
    const batch = rig.ms.state.invoiceLinesOf(outbound.id)[0].batch ?? undefined;
    const formerLine = deliveryLineId({ system: SHIPMENT_SYSTEM, value: outbound.id }, product, batch);
    t.equal(
      deliveryLineId({ system: SHIPMENT_SYSTEM, value: inbound!.id }, product, batch),
      line.id,
      "the R4 line's id is the inbound shipment's",
    );
    await rig.mediator.store.putLinks([
      { flow: 'deliveries', fhirId: formerLine, system: 'msupply', upstreamId: outbound.id },
    ]);
    await moved('/fhir', formerLine, line.id);
  });
