/**
 * A mobile app's transaction Bundle on a bad day, through the real mediator and the OpenLMIS
 * sandbox, on both store engines: sent again after a timeout (after the first answer was lost,
 * and while the first is still running), with and without If-None-Exist; with one bad entry
 * among changes of an existing order; while OpenLMIS is down.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { engineCases } from '../../support/outbox-engines.js';
import { ORDER_SYSTEM, orderLine, requisitionsAt, startRigOn, why, type Rig } from '../../support/openlmis-e2e.js';
import { until } from '../../support/net.js';

/** The requisitions OpenLMIS holds for this facility (any program, any status). */
function requested(r: any): number[] {
  return r.lineItems
    .filter((l: any) => l.requestedQuantity !== null)
    .map((l: any) => l.requestedQuantity)
    .sort((a: number, b: number) => a - b);
}

/** Everything OpenLMIS holds that a write could change. */
function upstream(rig: Rig): string {
  const s = rig.lmis.sb.state.store;
  return JSON.stringify({ requisitions: [...s.requisitions.values()], orders: [...s.orders.values()] });
}

/** Everything the mediator's store keeps about writes. */
async function stored(rig: Rig): Promise<string> {
  const store = rig.mediator.store;
  return JSON.stringify({ jobs: await store.listJobs(), counts: await store.countJobsByStatus() });
}

/** An order of two lines as a transaction of POSTs, each entry optionally with If-None-Exist. */
function orderBundle(rig: Rig, facilityCode: string, order: string, conditional: boolean): any {
  const facilityId = rig.lmis.seed.facilities[facilityCode];
  const lines = [
    orderLine({ order, facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 50 }),
    orderLine({ order, facilityId, program: 'EM01', productCode: 'EM-ZNC20', qty: 80 }),
  ];
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: lines.map((resource) => ({
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource,
      request: {
        method: 'POST',
        url: 'SupplyRequest',
        ...(conditional ? { ifNoneExist: `identifier=${encodeURIComponent(`${ORDER_SYSTEM}|${order}`)}` } : {}),
      },
    })),
  };
}

const statuses = (r: { body: any }) => r.body?.entry?.map((e: any) => e.response.status) ?? [];

for (const engine of engineCases()) {
  t.test(`a transaction sent again (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startRigOn(t, engine);
    for (const [facility, conditional] of [
      ['LK-HC-102', false],
      ['LK-HC-103', true],
    ] as const) {
      t.test(`after its answer was lost${conditional ? ', with If-None-Exist' : ''}`, async (t) => {
        const order = `RETRY-${facility}`;
        const bundle = orderBundle(rig, facility, order, conditional);
        const first = await rig.fhir('POST', '/fhir', bundle);
        t.equal(first.status, 200, why(first));
        t.same(statuses(first), ['201 Created', '201 Created']);
        const again = await rig.fhir('POST', '/fhir', bundle);
        t.equal(again.status, 200, why(again));
        t.same(statuses(again), ['200 OK', '200 OK'], 'answered as the writes already made');
        t.same(
          again.body.entry.map((e: any) => e.resource?.id),
          first.body.entry.map((e: any) => e.resource?.id),
          'the same resources',
        );
        t.equal(requisitionsAt(rig, facility).length, 1, 'one requisition in OpenLMIS');
        t.same(requested(requisitionsAt(rig, facility)[0]), [50, 80]);
      });
    }

    for (const [facility, conditional] of [
      ['LK-HC-104', false],
      ['LK-DH-201', true],
    ] as const) {
      t.test(`while the first is still running${conditional ? ', with If-None-Exist' : ''}`, async (t) => {
        const order = `TWICE-${facility}`;
        const bundle = orderBundle(rig, facility, order, conditional);
        const [a, b] = await Promise.all([rig.fhir('POST', '/fhir', bundle), rig.fhir('POST', '/fhir', bundle)]);
        t.equal(a.status, 200, why(a));
        t.equal(b.status, 200, why(b));
        for (const s of [...statuses(a), ...statuses(b)])
          t.match(s, /^20[012]/, `each entry written or accepted: ${s}`);
        await until('the order in OpenLMIS', async () => requisitionsAt(rig, facility).length > 0 || undefined, 20_000);
        await new Promise((r) => setTimeout(r, 500)); // a second requisition, if any, would be on its way
        t.equal(requisitionsAt(rig, facility).length, 1, 'one requisition in OpenLMIS');
      });
    }
  });

  t.test(`a transaction changing an order with one bad entry (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startRigOn(t, engine);
    const facilityId = rig.lmis.seed.facilities['LK-HC-102'];
    const line = (id: string, productCode: string, qty: number) => ({
      ...orderLine({ order: 'BAD-1', facilityId, program: 'EM01', productCode, qty }),
      id,
    });
    const put = (resource: any, ifMatch?: string) => ({
      resource,
      request: { method: 'PUT', url: `SupplyRequest/${resource.id}`, ...(ifMatch ? { ifMatch } : {}) },
    });
    const created = await rig.fhir('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [put(line('bad-1-ors', 'EM-ORS', 50)), put(line('bad-1-znc', 'EM-ZNC20', 80))],
    });
    t.equal(created.status, 200, why(created));
    const etags = created.body.entry.map((e: any) => e.response.etag);
    const lmisBefore = upstream(rig);
    const storeBefore = await stored(rig);

    const unmapped = line('bad-1-amx', 'EM-AMX250', 30);
    unmapped.itemCodeableConcept.coding[0].code = '09999999999994';
    const cases = [
      {
        name: 'an unmapped product',
        entries: [put(line('bad-1-ors', 'EM-ORS', 60), etags[0]), put(unmapped)],
        status: 422,
        expression: 'Bundle.entry[1].resource.itemCodeableConcept',
      },
      {
        name: 'a stale If-Match',
        entries: [put(line('bad-1-ors', 'EM-ORS', 60), etags[0]), put(line('bad-1-znc', 'EM-ZNC20', 90), 'W/"0"')],
        status: 412,
        expression: 'Bundle.entry[1].request.ifMatch',
      },
    ];
    for (const c of cases) {
      const tx = await rig.fhir('POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: c.entries });
      t.equal(tx.status, c.status, `${c.name}: ${why(tx)}`);
      t.same(tx.body.issue?.[0]?.expression, [c.expression], `${c.name}: names the bad entry`);
      t.equal(upstream(rig), lmisBefore, `${c.name}: OpenLMIS unchanged`);
      t.equal(await stored(rig), storeBefore, `${c.name}: the store unchanged`);
    }
    const read = await rig.fhir('GET', '/fhir/SupplyRequest/bad-1-ors');
    t.equal(read.body.quantity.value, 50, 'the order reads as it was');
  });

  t.test(`a transaction while OpenLMIS is down (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startRigOn(t, engine, { OUTBOX_DEADLINE_MS: '500' });
    const facility = 'LK-HC-104';
    const bundle = orderBundle(rig, facility, 'DOWN-1', false);
    rig.lmis.sb.faults.add({ path: '/api/**', action: { type: 'status', status: 503 } });
    const down = await rig.fhir('POST', '/fhir', bundle);
    t.equal(down.status, 200, why(down));
    t.same(statuses(down), ['202 Accepted', '202 Accepted'], JSON.stringify(down.body));
    const again = await rig.fhir('POST', '/fhir', bundle);
    t.equal(again.status, 200, `sent again while still down: ${why(again)}`);
    for (const s of statuses(again)) t.match(s, /^20[02]/, `accepted once, not twice: ${s}`);
    t.equal(requisitionsAt(rig, facility).length, 0, 'nothing in OpenLMIS yet');
    rig.lmis.sb.faults.clear();
    await until('the order delivered', async () => requisitionsAt(rig, facility).length > 0 || undefined, 30_000);
    await new Promise((r) => setTimeout(r, 1000)); // a second requisition, if any, would be on its way
    t.equal(requisitionsAt(rig, facility).length, 1, 'one requisition in OpenLMIS');
    t.same(requested(requisitionsAt(rig, facility)[0]), [50, 80]);
    const done = await rig.fhir('POST', '/fhir', bundle);
    t.same(statuses(done), ['200 OK', '200 OK'], 'once delivered, the same Bundle is answered as written');
  });

  t.test(`a change of an order while OpenLMIS fails (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startRigOn(t, engine, { OUTBOX_DEADLINE_MS: '500' });
    const facility = 'LK-HC-103';
    const facilityId = rig.lmis.seed.facilities[facility];
    const change = (qty: number) => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: {
            ...orderLine({ order: 'DOWN-2', facilityId, program: 'EM01', productCode: 'EM-ORS', qty }),
            id: 'down-2',
          },
          request: { method: 'PUT', url: 'SupplyRequest/down-2' },
        },
      ],
    });
    const created = await rig.fhir('POST', '/fhir', change(40));
    // 201, or 202 when a loaded machine takes longer than the 500 ms deadline: then delivered later
    t.match(statuses(created), [/^20[12] /], why(created));
    await until(
      'the order delivered: the same Bundle answered as written',
      async () => statuses(await rig.fhir('POST', '/fhir', change(40)))[0] === '200 OK' || undefined,
      30_000,
    );
    const [req] = requisitionsAt(rig, facility);

    // its writes failing: the change is queued, and sent again while queued it is that change
    const writes = rig.lmis.sb.faults.add({
      method: 'PUT',
      path: '/api/requisitions/*',
      action: { type: 'status', status: 503 },
    });
    const queued = await rig.fhir('POST', '/fhir', change(70));
    t.same(statuses(queued), ['202 Accepted'], why(queued));
    const again = await rig.fhir('POST', '/fhir', change(70));
    t.equal(again.status, 200, `the same change again, still queued: ${why(again)}`);
    t.match(statuses(again)[0], /^20[02]/, 'that change, not a conflict with itself');
    rig.lmis.sb.faults.remove(writes.id);
    await until('the change applied', async () => req.extraData?.fhirOrderRevision === 1 || undefined, 30_000);
    await new Promise((r) => setTimeout(r, 1000)); // a second revision, if any, would be on its way
    t.equal(req.extraData.fhirOrderRevision, 1, 'applied once');
    t.same(requested(req), [70]);

    // down altogether: a change is made to the order as its system holds it, unreadable now; the
    // change is refused whole and says so (never half-applied), and is sent again later
    const storeBefore = await stored(rig);
    const lmisBefore = upstream(rig);
    rig.lmis.sb.faults.add({ path: '/api/**', action: { type: 'status', status: 503 } });
    const refused = await rig.fhir('POST', '/fhir', change(90));
    t.equal(refused.status, 502, why(refused)); // the gateway's answer to the upstream's 503
    t.equal(refused.body.issue[0].code, 'transient', 'a failure to retry');
    t.match(
      why(refused),
      /^openlmis: SupplyRequest\/down-2 could not be read as openlmis holds it now, to apply this change to \(.*503.*\); nothing of the change was written or queued: send it again later$/,
      'says which resource, why, that nothing was taken, and what to do',
    );
    const alone = await rig.fhir('PUT', '/fhir/SupplyRequest/down-2', change(90).entry[0].resource);
    t.equal(alone.status, 502, why(alone));
    t.equal(why(alone), why(refused), 'a PUT alone: the same answer');
    const patched = await rig.fhir(
      'PATCH',
      '/fhir/SupplyRequest/down-2',
      [{ op: 'replace', path: '/quantity/value', value: 90 }],
      { 'content-type': 'application/json-patch+json' },
    );
    t.equal(patched.status, 502, why(patched));
    t.equal(why(patched), why(refused), 'a PATCH: the same answer');
    t.equal(await stored(rig), storeBefore, 'nothing recorded');
    t.equal(upstream(rig), lmisBefore, 'nothing changed in OpenLMIS');
    rig.lmis.sb.faults.clear();
    const later = await rig.fhir('POST', '/fhir', change(90));
    t.same(statuses(later), ['200 OK'], `sent again once OpenLMIS is back: ${why(later)}`);
    t.equal(req.extraData.fhirOrderRevision, 2);
    t.same(requested(req), [90]);
  });

  t.test(`every entry's problems in one answer (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startRigOn(t, engine);
    const post = (resource: any) => ({
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource,
      request: { method: 'POST', url: 'SupplyRequest' },
    });
    const line = (order: string, facilityId: string) =>
      orderLine({ order, facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 10 });
    const noNumber = line('ALL-1', rig.lmis.seed.facilities['LK-HC-102']);
    delete noNumber.identifier;
    const invalid = line('ALL-2', rig.lmis.seed.facilities['LK-HC-103']);
    invalid.quantity.value = 'ten'; // not a decimal: malformed, a 400
    const nowhere = line('ALL-3', randomUUID());
    const good = line('ALL-4', rig.lmis.seed.facilities['LK-HC-104']);
    const [lmisBefore, storeBefore] = [upstream(rig), await stored(rig)];
    const res = await rig.fhir('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [noNumber, invalid, good, nowhere].map(post),
    });
    t.equal(res.status, 400, `the malformed entry decides the status: ${why(res)}`);
    const named = res.body.issue.map((i: any) => i.expression?.[0]);
    t.match(named, ['Bundle.entry[1].resource.quantity.value'], 'the invalid quantity first');
    t.ok(named.includes('Bundle.entry[0].resource.identifier'), `the order without its number: ${named}`);
    t.ok(named.includes('Bundle.entry[3].resource.deliverTo'), 'the unknown facility');
    t.notOk(
      named.some((e: string) => e?.startsWith('Bundle.entry[2]')),
      'the good entry is not blamed',
    );
    t.equal(upstream(rig), lmisBefore, 'OpenLMIS unchanged');
    t.equal(await stored(rig), storeBefore, 'nothing recorded');

    // without the malformed entry: the rest still named together, with the status of the first
    const rest = await rig.fhir('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [noNumber, good, nowhere].map(post),
    });
    t.equal(rest.status, 422, why(rest));
    t.same(
      rest.body.issue.map((i: any) => i.expression?.[0]),
      ['Bundle.entry[0].resource.identifier', 'Bundle.entry[2].resource.deliverTo'],
    );
    t.equal(await stored(rig), storeBefore, 'nothing recorded');
    t.equal(requisitionsAt(rig, 'LK-HC-104').length, 0, 'the good order neither');
  });

  t.test(`an order without its number (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startRigOn(t, engine);
    const bundle = orderBundle(rig, 'LK-HC-102', 'NO-KEY', false);
    for (const e of bundle.entry) delete e.resource.identifier;
    const before = await stored(rig);
    const refused = await rig.fhir('POST', '/fhir', bundle);
    t.equal(refused.status, 422, why(refused));
    t.same(refused.body.issue[0].expression, ['Bundle.entry[0].resource.identifier']);
    t.match(why(refused), /order number .*retried order safe/, 'says what the key is for');
    t.equal(await stored(rig), before, 'nothing recorded');
    t.equal(requisitionsAt(rig, 'LK-HC-102').length, 0, 'nothing in OpenLMIS');
  });
}
