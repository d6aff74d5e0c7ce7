/**
 * One Open mSupply order has one FHIR id, whichever search finds it. The facility's request
 * requisition and the warehouse's response requisition Open mSupply's transfer processor makes
 * from it are one order: `SupplyRequest?supplier=<warehouse>` listed the response under ids of
 * its own (and as a draft, the response being NEW), so a mobile client syncing both ways stored
 * the order twice. Now it lists the order as its request (same ids, same version), a client's
 * own ids included, and an id the warehouse's copy was handed out under is redirected (301) to
 * the order's. Through the Open mSupply sandbox, on both store engines.
 */
import t from 'tap';
import { RIG_AUTH, orderLine, why } from '../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore } from '../../support/msupply-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { stableId } from '../../../src/domain/ids.js';

const STORE = 'store-hc-north';
const WAREHOUSE = 'store-wh-central';
const CLIENT_ID = '6f1d2c3e-4b5a-4c6d-8e7f-901a2b3c4d5e';

for (const engine of engineCases())
  t.test(`${engine.name}: an Open mSupply order has one id, whoever searches`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(t, engine, { orders: { ...toStore(STORE), default: 'msupply' } });
    const posted = await rig.fhir(
      'POST',
      '/fhir/SupplyRequest',
      orderLine({ order: 'ONE-ID-1', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 300 }),
    );
    t.equal(posted.status, 201, why(posted));
    // a client that keeps its own ids (an SDK's PUT under its UUID)
    const put = await rig.fhir('PUT', `/fhir/SupplyRequest/${CLIENT_ID}`, {
      id: CLIENT_ID,
      ...orderLine({ order: 'ONE-ID-2', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 100 }),
    });
    t.ok([200, 201].includes(put.status), why(put));

    const search = async (query: string) => {
      const res = await rig.fhir('GET', `/fhir/SupplyRequest?${query}`);
      t.equal(res.status, 200, `${query}: ${why(res)}`);
      return new Map<string, any>((res.body.entry ?? []).map((e: any) => [e.resource.identifier[0].value, e.resource]));
    };
    const facility = await search(`subject=${encodeURIComponent(`Location/${STORE}`)}`);
    const warehouse = await search(`supplier=${encodeURIComponent(`Location/${WAREHOUSE}`)}`);
    t.same([...warehouse.keys()].sort(), ['ONE-ID-1', 'ONE-ID-2'], "the warehouse's search finds both orders");
    for (const number of ['ONE-ID-1', 'ONE-ID-2']) {
      const mine = facility.get(number);
      const theirs = warehouse.get(number);
      t.equal(theirs?.id, mine?.id, `${number}: one id in both searches`);
      t.equal(theirs?.meta?.versionId, mine?.meta?.versionId, `${number}: one version in both`);
      t.equal(theirs?.status, mine?.status, `${number}: one status in both`);
      t.equal(theirs?.deliverFrom?.reference, `Location/${WAREHOUSE}`, `${number}: delivered from the warehouse`);
    }
    t.equal(warehouse.get('ONE-ID-1')?.id, posted.body.id, 'the id the POST answered');
    t.equal(warehouse.get('ONE-ID-2')?.id, CLIENT_ID, "the client's own id");

    // a read by the id gives the version both searches list, and an If-Match on it is taken
    const read = await rig.fhir('GET', `/fhir/SupplyRequest/${posted.body.id}`);
    t.equal(read.status, 200, why(read));
    t.equal(read.body.meta.versionId, warehouse.get('ONE-ID-1')?.meta?.versionId, 'a read: the same version');
    const etag = read.headers.get('etag')!;
    t.equal(etag, `W/"${warehouse.get('ONE-ID-1')?.meta?.versionId}"`, 'its ETag names that version');
    const changed = await rig.fhir(
      'PUT',
      `/fhir/SupplyRequest/${posted.body.id}`,
      { ...read.body, quantity: { ...read.body.quantity, value: 310 } },
      { 'If-Match': etag },
    );
    t.not(changed.status, 412, `an If-Match from the warehouse's search is current: ${why(changed)}`);

    // an id the warehouse's copy was listed under before (a line id of its response requisition,
    // linked by that search) still reads: a redirect to the order's id
    const request = [...rig.ms.state.requisitions.values()].find(
      (r) => r.type === 'REQUEST' && r.theirReference === 'ONE-ID-2',
    )!;
    const response = [...rig.ms.state.requisitions.values()].find(
      (r) => r.type === 'RESPONSE' && r.linkedRequisitionId === request.id,
    )!;
    t.ok(response, 'the transfer processor made the warehouse its response requisition');
    const coding = warehouse.get('ONE-ID-2').itemCodeableConcept.coding[0];
    const former = stableId(
      'SupplyRequest',
      'msupply',
      'response-requisition',
      response.id,
      coding.system,
      coding.code,
    );
    await rig.mediator.store.putLinks([{ flow: 'orders', fhirId: former, system: 'msupply', upstreamId: response.id }]);
    const moved = await fetch(`${rig.mediator.url}/fhir/SupplyRequest/${former}`, {
      headers: { authorization: RIG_AUTH, accept: 'application/fhir+json' },
      redirect: 'manual',
    });
    const said = await moved.text();
    t.equal(moved.status, 301, said);
    t.match(moved.headers.get('location'), new RegExp(`/fhir/SupplyRequest/${CLIENT_ID}$`), 'to the order id');
    // what happened: the warehouse's copy now reads as the order (not "its system's own id")
    t.match(
      JSON.parse(said).issue[0].diagnostics,
      `${former} was an id of the warehouse's copy of the order (its Open mSupply response requisition, once listed under ids of its own); the same order now reads as the facility's request requisition, under the id every search gives it, SupplyRequest/${CLIENT_ID}`,
      "the redirect says the id was the warehouse copy's",
    );
    const followed = await rig.fhir('GET', `/fhir/SupplyRequest/${CLIENT_ID}`);
    t.equal(followed.status, 200, why(followed));
    t.equal(followed.body.meta.versionId, warehouse.get('ONE-ID-2')?.meta?.versionId, 'the version listed');

    // a DELETE by that former id is a change by it: the 409 at the resource's id naming the id to
    // use, as a PUT's or PATCH's, and the order is not cancelled
    const deleted = await fetch(`${rig.mediator.url}/fhir/SupplyRequest/${former}`, {
      method: 'DELETE',
      headers: { authorization: RIG_AUTH, accept: 'application/fhir+json' },
      redirect: 'manual',
    });
    const refusal = JSON.parse(await deleted.text());
    t.equal(deleted.status, 409, `DELETE by the former id: ${JSON.stringify(refusal)}`);
    t.equal(deleted.headers.get('location'), null, 'DELETE: no redirect to follow');
    t.match(refusal.issue?.[0]?.diagnostics, `change it as ${CLIENT_ID}`, 'DELETE: names the id to use');
    t.same(refusal.issue?.[0]?.expression, ['SupplyRequest.id'], "DELETE: at the resource's id");
    const entry = await rig.fhir('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ request: { method: 'DELETE', url: `SupplyRequest/${former}` } }],
    });
    t.equal(entry.status, 409, `a transaction DELETE entry by the former id: ${why(entry)}`);
    t.match(entry.body.issue?.[0]?.diagnostics, `change it as ${CLIENT_ID}`);
    t.same(entry.body.issue?.[0]?.expression, ['Bundle.entry[0].request.url'], "at the entry's request.url");
    const after = await rig.fhir('GET', `/fhir/SupplyRequest/${CLIENT_ID}`);
    t.equal(after.body.meta.versionId, followed.body.meta.versionId, 'the order is as it was');
  });
