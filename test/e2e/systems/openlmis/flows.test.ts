/**
 * Issue 4's must-shows, end to end: a FHIR client → the mediator (real app, outbox, SQLite) →
 * the OpenLMIS sandbox. Each assertion reads the sandbox's own state, not the mediator's answer.
 */
import t from 'tap';
import { damagedStock, why } from '../../../support/openlmis-e2e.js';
import { gtinOf, ORDER_SYSTEM, orderLine, RIG_AUTH, startRig, transactionOf } from '../../../support/openlmis-e2e.js';

const FACILITY = 'LK-HC-101';
const ORDER = 'MOB-2026-0001';
const LINES: { productCode: string; qty: number; packs?: boolean; units: number }[] = [
  { productCode: 'EM-AMX250', qty: 300, units: 300 },
  { productCode: 'EM-PCM500', qty: 2, packs: true, units: 2000 }, // 2 packs × 1,000 tablets
  { productCode: 'EM-ORS', qty: 100, units: 100 },
  { productCode: 'EM-ZNC20', qty: 150, units: 150 },
  { productCode: 'EM-CTX480', qty: 1000, units: 1000 },
];

t.test('OpenLMIS end to end', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { lmis } = rig;
  const facilityId = lmis.seed.facilities[FACILITY];
  const orderable = (id: string) => Object.entries(lmis.seed.orderables).find(([, v]) => v === id)![0];
  const requisitionsOf = () =>
    lmis.sb.state
      .requisitionsByStatus()
      .filter((r: any) => r.facilityId === facilityId && r.programId === lmis.seed.programs.EM01 && !r.emergency);
  const bundle = transactionOf(LINES.map((l) => orderLine({ order: ORDER, facilityId, program: 'EM01', ...l })));
  let createdIds: string[] = [];

  await t.test('a 5-line order is one submitted requisition with the quantities in dispensing units', async (t) => {
    const res = await rig.fhir('POST', '/fhir', bundle);
    t.equal(res.status, 200, why(res));
    t.same(
      res.body.entry.map((e: any) => e.response.status.slice(0, 3)),
      ['201', '201', '201', '201', '201'],
    );
    createdIds = res.body.entry.map((e: any) => e.response.location.split('/SupplyRequest/')[1].split('/')[0]);
    t.ok(
      res.body.entry[0].response.location.startsWith(`${rig.mediator.url}/fhir/SupplyRequest/`),
      'with no public base URL configured, locations use the address the client called',
    );
    const reqs = requisitionsOf();
    t.equal(reqs.length, 1, 'one requisition');
    t.equal(reqs[0].status, 'SUBMITTED');
    const requested = Object.fromEntries(
      reqs[0].lineItems
        .filter((l: any) => l.requestedQuantity != null)
        .map((l: any) => [orderable(l.orderableId), l.requestedQuantity]),
    );
    t.same(
      requested,
      Object.fromEntries(LINES.map((l) => [l.productCode, l.units])),
      'packs converted to dispensing units',
    );
  });

  await t.test('reading it back gives the same 5 SupplyRequests, active', async (t) => {
    const res = await rig.fhir(
      'GET',
      `/fhir/SupplyRequest?identifier=${encodeURIComponent(`${ORDER_SYSTEM}|${ORDER}`)}`,
    );
    t.equal(res.status, 200, why(res));
    const found = (res.body.entry ?? []).map((e: any) => e.resource);
    t.same(found.map((r: any) => r.id).sort(), [...createdIds].sort(), 'the same ids');
    t.ok(
      found.every((r: any) => r.status === 'active'),
      'all active',
    );
    const one = await rig.fhir('GET', `/fhir/SupplyRequest/${createdIds[1]}`);
    t.equal(one.status, 200);
    t.equal(one.body.quantity.value, 2000, 'read in dispensing units');
  });

  await t.test('the ETag a create answers with is the one a read gives, so If-Match on it is accepted', async (t) => {
    const line = orderLine({
      order: `${ORDER}-ETAG`,
      facilityId,
      program: 'EM01',
      productCode: 'EM-ORS',
      qty: 40,
      priority: 'urgent',
    });
    const created = await rig.fhir('POST', '/fhir/SupplyRequest', line);
    t.equal(created.status, 201, why(created));
    const etag = created.headers.get('etag');
    t.match(etag, /^W\/"[^"]+"$/);
    t.equal(
      created.body.status,
      'active',
      'an emergency order, submitted; the answer is the order as OpenLMIS holds it',
    );
    const read = await rig.fhir('GET', `/fhir/SupplyRequest/${created.body.id}`);
    t.equal(read.headers.get('etag'), etag, 'read back: same version');
    const updated = await rig.fhir('PUT', `/fhir/SupplyRequest/${created.body.id}`, read.body, { 'if-match': etag! });
    t.equal(updated.status, 200, `the resource put back unchanged, with that ETag: ${why(updated)}`);
    t.equal(updated.headers.get('etag'), etag, 'no new version');
    // a version the client never saw: a change is refused; the resource as it is already is what
    // the request asks for, which RFC 9110 §13.1.1 lets a server answer 2xx (src/fhir/applied-already.ts)
    const changed = { ...read.body, quantity: { ...read.body.quantity, value: 41 } };
    const stale = await rig.fhir('PUT', `/fhir/SupplyRequest/${created.body.id}`, changed, {
      'if-match': 'W/"0000"',
    });
    t.equal(stale.status, 412, 'a change from a version the client never saw is refused');
    const inPlace = await rig.fhir('PUT', `/fhir/SupplyRequest/${created.body.id}`, read.body, {
      'if-match': 'W/"0000"',
    });
    t.equal(inPlace.status, 200, `nothing to change: ${why(inPlace)}`);
    t.equal(inPlace.headers.get('etag'), etag, 'still no new version');
  });

  await t.test('posting the same Bundle again creates nothing new', async (t) => {
    const res = await rig.fhir('POST', '/fhir', bundle);
    t.equal(res.status, 200);
    t.same(
      res.body.entry.map((e: any) => e.response.status.slice(0, 3)),
      ['200', '200', '200', '200', '200'],
    );
    t.equal(requisitionsOf().length, 1);
  });

  let podId = '';
  await t.test('released and shipped, the order reads as an in-progress SupplyDelivery', async (t) => {
    const admin = await lmis.login();
    const [req] = requisitionsOf();
    for (const step of ['authorize', 'approve'])
      t.equal((await lmis.call('POST', `/api/requisitions/${req.id}/${step}`, admin)).status, 200, step);
    const release = await lmis.call('POST', '/api/requisitions/batchReleases', admin, {
      createOrder: true,
      requisitionsToRelease: [{ requisitionId: req.id, supplyingDepotId: lmis.seed.facilities['LK-WH-301'] }],
    });
    t.equal(release.status, 201, why(release));
    const orders = await lmis.call('GET', `/api/orders?requestingFacilityId=${facilityId}`, admin);
    const orderId = orders.body.content[0].id;
    podId = lmis.sb.state.shipOrder(orderId).proofOfDeliveryId;
    const res = await rig.fhir(
      'GET',
      `/fhir/R5/SupplyDelivery?destination=${encodeURIComponent(`Location/${facilityId}`)}`,
    );
    t.equal(res.status, 200, why(res));
    const deliveries = (res.body.entry ?? []).map((e: any) => e.resource);
    t.equal(deliveries.length, 1);
    t.equal(deliveries[0].status, 'in-progress');
    t.equal(deliveries[0].suppliedItem.length, 5);
  });

  await t.test(
    'confirmed with one line short and one rejected: the POD holds exactly that, the order is RECEIVED',
    async (t) => {
      const res = await rig.fhir(
        'GET',
        `/fhir/R5/SupplyDelivery?destination=${encodeURIComponent(`Location/${facilityId}`)}`,
      );
      const delivery = res.body.entry[0].resource;
      const shipped = (item: any) =>
        item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity.value;
      const reject = (qty: number) => ({
        url: 'http://fhir-supply-mediator.org/fhir/StructureDefinition/quantity-rejected',
        valueQuantity: {
          value: qty,
          unit: 'pack',
          system: 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit',
          code: 'pack',
        },
      });
      const reason = {
        url: 'http://fhir-supply-mediator.org/fhir/StructureDefinition/rejection-reason',
        valueString: 'Damaged on arrival',
      };
      const expected: Record<string, [number, number]> = {};
      delivery.suppliedItem = delivery.suppliedItem.map((item: any, i: number) => {
        const s = shipped(item);
        const [accepted, rejected] = i === 0 ? [s - 1, 1] : i === 1 ? [0, s] : [s, 0];
        expected[item.itemCodeableConcept.coding[0].code] = [accepted, rejected];
        return {
          ...item,
          quantity: { ...item.quantity, value: accepted },
          extension: [
            ...item.extension.filter((e: any) => !/quantity-rejected|rejection-reason/.test(e.url)),
            ...(rejected ? [reject(rejected), reason] : []),
          ],
        };
      });
      delivery.status = 'completed';
      delete delivery.meta;
      const confirm = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, delivery);
      t.ok([200, 201].includes(confirm.status), why(confirm));
      const admin = await lmis.login();
      const pod = (await lmis.call('GET', `/api/proofsOfDelivery/${podId}`, admin)).body;
      t.equal(pod.status, 'CONFIRMED');
      const got = pod.lineItems
        .filter((l: any) => l.quantityRejected > 0 || l.quantityAccepted >= 0)
        .map((l: any) => [l.quantityAccepted, l.quantityRejected]);
      t.same(got.sort(), Object.values(expected).sort(), 'accepted and rejected packs as sent');
      const orders = await lmis.call('GET', `/api/orders?requestingFacilityId=${facilityId}`, admin);
      t.equal(orders.body.content[0].status, 'RECEIVED');

      const changed = structuredClone(delivery);
      changed.suppliedItem[2].quantity.value -= 1;
      changed.suppliedItem[2].extension.push(reject(1), reason);
      const again = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, changed);
      t.equal(again.status, 409, 'a second, different confirmation is a conflict');
      t.equal(again.body.resourceType, 'OperationOutcome');
    },
  );

  await t.test('a stock count and an adjustment become stock events; the summaries read back match', async (t) => {
    const byProduct = (report: any) =>
      Object.fromEntries(
        report.inventoryListing[0].item.map((i: any) => [
          `${i.item.concept.coding[0].code}|${(i.extension ?? []).find((e: any) => e.url.endsWith('/lot-number'))?.valueString ?? ''}`,
          i.quantity.value,
        ]),
      );
    const reportsAt = async () =>
      (
        await rig.fhir('GET', `/fhir/R5/InventoryReport?location=${encodeURIComponent(`Location/${facilityId}`)}`)
      ).body.entry.map((e: any) => e.resource);
    const fp = (reports: any[]) =>
      reports.find((r: any) => Object.keys(byProduct(r)).some((k) => k.startsWith(gtinOf('FP-CNDM'))));
    const before = fp(await reportsAt());
    t.ok(before, 'the family planning stock reads as an InventoryReport snapshot');
    const counted = byProduct(before);
    const eventsBefore = lmis.sb.state.counts().stockEvents;

    const count = structuredClone(before);
    delete count.id;
    delete count.meta;
    count.identifier = [{ system: 'https://mobile.example.org/counts', value: 'CNT-E2E-1' }];
    count.reportedDateTime = '2026-11-21T09:00:00Z';
    count.inventoryListing[0].countingDateTime = '2026-11-21T08:30:00Z';
    for (const item of count.inventoryListing[0].item) item.quantity.value = Math.max(0, item.quantity.value - 10);
    const posted = await rig.fhir('POST', '/fhir/R5/InventoryReport', count);
    t.equal(posted.status, 201, why(posted));
    t.equal(lmis.sb.state.counts().stockEvents, eventsBefore + 1, 'one physical-inventory event');
    const afterCount = byProduct(fp(await reportsAt()));
    t.same(
      afterCount,
      Object.fromEntries(Object.entries(counted).map(([k, v]) => [k, Math.max(0, (v as number) - 10)])),
      'stock on hand is what was counted',
    );
    const readBack = await rig.fhir('GET', `/fhir/R5/InventoryReport/${posted.body.id}`);
    t.equal(readBack.status, 200, `the posted count reads back by its id: ${why(readBack)}`);
    t.equal(readBack.headers.get('etag'), posted.headers.get('etag'), 'with the ETag its 201 carried');
    t.equal(readBack.body.meta.lastUpdated, posted.body.meta.lastUpdated, 'and the time it was delivered');
    t.notMatch(posted.body.meta.lastUpdated, /^1970/);
    t.equal(readBack.body.inventoryListing[0].countingDateTime, '2026-11-21T08:30:00Z', 'the counting time is kept');
    const again = await rig.fhir('POST', '/fhir/R5/InventoryReport', count);
    t.equal(again.status, 200, 'the same count again is answered from the first');
    t.equal(lmis.sb.state.counts().stockEvents, eventsBefore + 1, 'and posts nothing');

    const condom = `${gtinOf('FP-CNDM')}|`;
    const adjustment = damagedStock(facilityId, 'ADJ-E2E-1', 40, 'FP-CNDM');
    const adjusted = await rig.fhir('POST', '/fhir/R5/InventoryReport', adjustment);
    t.equal(adjusted.status, 201, why(adjusted));
    t.equal(byProduct(fp(await reportsAt()))[condom], afterCount[condom] - 40, 'the adjustment is a debit of 40');

    const tooMuch = {
      ...adjustment,
      identifier: [{ system: 'https://mobile.example.org/counts', value: 'ADJ-E2E-2' }],
    };
    tooMuch.inventoryListing = [
      {
        ...adjustment.inventoryListing[0],
        item: [
          {
            ...adjustment.inventoryListing[0].item[0],
            quantity: { ...adjustment.inventoryListing[0].item[0].quantity, value: 1_000_000 },
          },
        ],
      },
    ];
    const refused = await rig.fhir('POST', '/fhir/R5/InventoryReport', tooMuch);
    t.equal(refused.status, 422, 'negative stock is refused');
    t.match(why(refused), /negative|stock on hand|exceeds/i);
  });

  await t.test('facilities read as Locations, by id and by code', async (t) => {
    const byCode = await rig.fhir(
      'GET',
      `/fhir/Location?identifier=${encodeURIComponent(`http://fhir-supply-mediator.org/fhir/identifier/openlmis-facility-code|${FACILITY}`)}`,
    );
    t.equal(byCode.status, 200, why(byCode));
    t.equal(byCode.body.entry?.length, 1);
    const loc = byCode.body.entry[0].resource;
    t.equal(loc.id, facilityId);
    t.equal(loc.name, 'Mberewa Health Centre');
    t.same(
      [loc.position.longitude, loc.position.latitude],
      [34.121, -10.412],
      'GeoJSON [longitude, latitude] → position',
    );
    const read = await rig.fhir('GET', `/fhir/Location/${facilityId}`);
    t.equal(read.status, 200);
    t.equal(read.body.identifier[0].value, FACILITY);
  });

  await t.test('through OpenHIM: one orchestration per OpenLMIS call, and no credential in any of them', async (t) => {
    lmis.sb.state.expireTokens(); // the next call logs in again, inside this request
    const res = await rig.fhir(
      'GET',
      `/fhir/SupplyRequest?identifier=${encodeURIComponent(`${ORDER_SYSTEM}|${ORDER}`)}`,
      undefined,
      { 'x-openhim-transactionid': 'tx-secrets-1' },
    );
    t.equal(res.status, 200);
    const orchestrations = res.body.orchestrations as any[];
    t.ok(orchestrations.length >= 2, `${orchestrations.length} upstream calls recorded`);
    const login = orchestrations.find((o) => o.request.path === '/api/oauth/token');
    t.ok(login, 'the fresh login is recorded');
    const text = JSON.stringify(res.body);
    t.notMatch(text, /changeme/, 'no client secret');
    t.notMatch(text, new RegExp(Buffer.from('user-client:changeme').toString('base64')), 'no Basic credential');
    t.notMatch(text, /password=password/, 'no user password');
    t.notMatch(
      String(JSON.parse(login.response.body).access_token),
      /[0-9a-f]{8}-[0-9a-f]{4}/,
      'no access token in the recorded login answer',
    );
    for (const o of orchestrations) {
      const auth = Object.entries(o.request.headers ?? {}).find(([k]) => k.toLowerCase() === 'authorization')?.[1] as
        string | undefined;
      if (auth) t.notMatch(auth, /[0-9a-f]{8}-[0-9a-f]{4}/, `${o.request.path}: bearer token masked`);
    }
  });

  await t.test('/metrics counts and times the OpenLMIS calls by outcome', async (t) => {
    const text = await (await fetch(`${rig.mediator.url}/metrics`, { headers: { authorization: RIG_AUTH } })).text();
    const ok = Number(/mediator_upstream_calls_total\{system="openlmis",outcome="ok"\} (\d+)/.exec(text)?.[1] ?? 0);
    const refused = Number(
      /mediator_upstream_calls_total\{system="openlmis",outcome="client_error"\} (\d+)/.exec(text)?.[1] ?? 0,
    );
    t.ok(ok > 20, `${ok} successful calls counted`);
    t.ok(refused >= 1, `${refused} refused calls counted (the negative stock, the second confirmation)`);
    t.match(text, /mediator_upstream_call_seconds_count\{system="openlmis"\} \d+/);
  });

  await t.test('/ready checks OpenLMIS with the current credentials', async (t) => {
    const auth = { authorization: RIG_AUTH };
    const up = await fetch(`${rig.mediator.url}/ready`, { headers: auth });
    t.equal(up.status, 200);
    t.match(await up.json(), {
      checks: [
        { name: 'store', status: 'ok' },
        { name: 'openlmis', status: 'ok' },
      ],
    });
    lmis.sb.faults.add({ method: 'GET', path: '/api/programs', action: { type: 'status', status: 503 } });
    const down = await fetch(`${rig.mediator.url}/ready`, { headers: auth });
    t.equal(down.status, 200, 'OpenLMIS down: degraded, still in service');
    const body = (await down.json()) as { status: string; checks: { name: string; status: string }[] };
    t.equal(body.status, 'degraded');
    t.equal(body.checks.find((c) => c.name === 'openlmis')?.status, 'down');
  });
});
