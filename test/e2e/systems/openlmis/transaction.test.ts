/**
 * Issue 9's "transaction test", end to end (FHIR client → mediator → OpenLMIS sandbox): a
 * transaction Bundle holding good writes and one bad entry changes nothing in OpenLMIS and
 * nothing in the mediator's store, for each kind of bad entry (unknown facility, unmapped product,
 * product not in the program, stock going negative); the refusal names the bad entry's element.
 * The same Bundle without the bad entry then goes through, so the good writes were writable.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { damagedStock, gtinOf, orderLine, startRig, why, type Rig } from '../../../support/openlmis-e2e.js';

const FACILITY = 'LK-HC-101';

/** An R4-style order line (see orderLine) in R5 shape: item.concept instead of itemCodeableConcept. */
function r5(line: any): any {
  const { itemCodeableConcept, ...rest } = line;
  return { ...rest, item: { concept: itemCodeableConcept } };
}

const adjustment = (facilityId: string, productCode: string, subtract: number): any =>
  damagedStock(facilityId, `ADJ-${randomUUID().slice(0, 8)}`, subtract, productCode);

function transaction(resources: any[]): any {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((r) => ({
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource: r,
      request: { method: 'POST', url: r.resourceType },
    })),
  };
}

/** Everything OpenLMIS holds that a write could change. */
function upstream(rig: Rig): string {
  const s = rig.lmis.sb.state.store;
  return JSON.stringify({
    requisitions: [...s.requisitions.values()],
    orders: [...s.orders.values()],
    stockEvents: [...s.stockEvents.values()],
    stockCards: [...s.stockCards.values()],
    pods: [...s.pods.values()],
    shipments: [...s.shipments.values()],
  });
}

/** Everything the mediator's store keeps about writes. */
async function stored(rig: Rig): Promise<string> {
  const store = rig.mediator.store;
  return JSON.stringify({
    jobs: await store.listJobs(),
    counts: await store.countJobsByStatus(),
    audit: (await store.listAudit({ limit: 1000 })).length,
  });
}

t.test('a transaction with one bad entry changes nothing upstream or in the store', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const facilityId = rig.lmis.seed.facilities[FACILITY];
  const goodOrder = () =>
    r5(
      orderLine({
        order: `TX-${randomUUID().slice(0, 8)}`,
        facilityId,
        program: 'EM01',
        productCode: 'EM-ORS',
        qty: 100,
        priority: 'urgent',
      }),
    );
  const goodCount = () => adjustment(facilityId, 'FP-CNDM', 12);

  const kinds: { name: string; bad: () => any; expression: RegExp; diagnostics: RegExp }[] = [
    {
      name: 'unknown facility',
      bad: () =>
        r5(
          orderLine({
            order: `TX-${randomUUID().slice(0, 8)}`,
            facilityId: randomUUID(),
            program: 'EM01',
            productCode: 'EM-AMX250',
            qty: 10,
            priority: 'urgent',
          }),
        ),
      expression: /^Bundle\.entry\[1\]\.resource\.deliverTo$/,
      diagnostics: /facilit|Location/i,
    },
    {
      name: 'unmapped product',
      bad: () => {
        const line = r5(
          orderLine({
            order: `TX-${randomUUID().slice(0, 8)}`,
            facilityId,
            program: 'EM01',
            productCode: 'EM-AMX250',
            qty: 10,
            priority: 'urgent',
          }),
        );
        line.item.concept.coding[0].code = '09999999999994';
        return line;
      },
      expression: /^Bundle\.entry\[1\]\.resource\.item\.concept$/,
      diagnostics: /09999999999994/,
    },
    {
      name: 'product not in the program',
      bad: () =>
        r5(
          orderLine({
            order: `TX-${randomUUID().slice(0, 8)}`,
            facilityId,
            program: 'EM01',
            productCode: 'FP-CNDM',
            qty: 10,
            priority: 'urgent',
          }),
        ),
      expression: /^Bundle\.entry\[1\]\.resource\.item\.concept$/,
      diagnostics: /not in program EM01/,
    },
    {
      name: 'an order number longer than OpenLMIS keeps',
      bad: () =>
        r5(
          orderLine({
            order: `TX-${'9'.repeat(300)}`,
            facilityId,
            program: 'EM01',
            productCode: 'EM-AMX250',
            qty: 10,
            priority: 'urgent',
          }),
        ),
      expression: /^Bundle\.entry\[1\]\.resource\.identifier(\[0\])?$/,
      diagnostics: /303 characters long; OpenLMIS keeps at most 255/,
    },
    {
      name: 'stock going negative',
      bad: () => adjustment(facilityId, 'FP-CNDM', 1_000_000),
      expression: /^Bundle\.entry\[1\]\.resource\.inventoryListing\[0\]\.item\[0\]\.quantity$/,
      diagnostics: /negative/,
    },
  ];

  for (const kind of kinds) {
    await t.test(kind.name, async (t) => {
      const good = [goodOrder(), goodCount()];
      const [upstreamBefore, storeBefore] = [upstream(rig), await stored(rig)];
      const res = await rig.fhir('POST', '/fhir/R5', transaction([good[0], kind.bad(), good[1]]));
      t.equal(res.status, 422, why(res));
      t.equal(res.body?.resourceType, 'OperationOutcome');
      const issue = res.body.issue[0];
      t.match(issue.diagnostics, kind.diagnostics);
      t.equal(issue.expression?.length, 1, `one expression: ${JSON.stringify(issue.expression)}`);
      t.match(issue.expression?.[0], kind.expression, "the FHIRPath of the bad entry's element");
      t.equal(
        upstream(rig),
        upstreamBefore,
        'OpenLMIS unchanged: requisitions, orders, stock events and cards, shipments, PODs',
      );
      t.equal(await stored(rig), storeBefore, 'the store unchanged: no job, no journal, no note');

      // without the bad entry the same writes go through: they were good, and were held back only by it
      const ok = await rig.fhir('POST', '/fhir/R5', transaction(good));
      t.equal(ok.status, 200, why(ok));
      t.same(
        ok.body.entry.map((e: any) => e.response.status.slice(0, 3)),
        ['201', '201'],
      );
      t.not(upstream(rig), upstreamBefore, 'and they changed OpenLMIS');
    });
  }

  await t.test('refused at delivery after the checks passed: the answer says what was applied', async (t) => {
    // OpenLMIS refuses the stock event although every check passed (a rule the mediator cannot see)
    const fault = rig.lmis.sb.faults.add({
      method: 'POST',
      path: '/api/**stockEvents',
      times: 1,
      action: {
        type: 'status',
        status: 400,
        body: { messageKey: 'stockmanagement.error.event.reason.notValid', message: 'reason not valid here' },
      },
    });
    const order = goodOrder();
    const res = await rig.fhir('POST', '/fhir/R5', transaction([order, goodCount()]));
    rig.lmis.sb.faults.remove(fault.id);
    t.equal(res.status, 422, why(res));
    const [refusal, ...rest] = res.body.issue;
    t.match(refusal.diagnostics, /reason not valid here/);
    t.same(
      refusal.expression?.map((e: string) => e.replace(/\..*$/, '')),
      ['Bundle'],
      `the refused entry's element: ${refusal.expression}`,
    );
    t.match(refusal.expression?.[0], /^Bundle\.entry\[1\]\.resource/);
    const applied = rest.find((i: any) =>
      /applied in openlmis \(requisition [0-9a-f-]+\) and is not undone/.test(i.diagnostics),
    );
    t.ok(applied, `the order's fate is told: ${JSON.stringify(rest)}`);
    t.same(applied?.expression, ['Bundle.entry[0].resource'], "on the order's entry");
    t.equal(applied?.severity, 'warning');
    const requisitionId = /requisition ([0-9a-f-]+)/.exec(applied?.diagnostics ?? '')?.[1];
    t.equal(
      rig.lmis.sb.state.store.requisitions.get(requisitionId!)?.status,
      'SUBMITTED',
      'which is true: the order is in OpenLMIS',
    );
  });

  await t.test('every bad entry is named, in one answer', async (t) => {
    const before = upstream(rig);
    const res = await rig.fhir('POST', '/fhir/R5', transaction([kinds[0].bad(), goodOrder(), kinds[4].bad()]));
    t.equal(res.status, 422, why(res));
    const expressions = res.body.issue.flatMap((i: any) => i.expression ?? []);
    t.ok(
      expressions.some((e: string) => /^Bundle\.entry\[0\]\.resource\.deliverTo$/.test(e)),
      `entry 0 named: ${expressions}`,
    );
    t.ok(
      expressions.some((e: string) =>
        /^Bundle\.entry\[2\]\.resource\.inventoryListing\[0\]\.item\[0\]\.quantity$/.test(e),
      ),
      'entry 2 named',
    );
    t.notOk(
      expressions.some((e: string) => e.startsWith('Bundle.entry[1]')),
      'the good entry is not blamed',
    );
    t.equal(upstream(rig), before);
  });

  await t.test("an invalid entry does not hide the other entries' problems", async (t) => {
    const [upstreamBefore, storeBefore] = [upstream(rig), await stored(rig)];
    const invalid = goodOrder();
    invalid.quantity.value = 'ten'; // not a decimal: a 400 at the edge, before any upstream check
    const bundle = transaction([invalid, goodOrder(), kinds[0].bad(), kinds[4].bad()]);
    const res = await rig.fhir('POST', '/fhir/R5', bundle);
    t.equal(res.status, 400, `the invalid entry's status: ${why(res)}`);
    const expressions = res.body.issue.flatMap((i: any) => i.expression ?? []);
    t.ok(
      expressions.some((e: string) => e.startsWith('Bundle.entry[0].resource')),
      `the invalid entry named: ${expressions}`,
    );
    t.ok(
      expressions.includes('Bundle.entry[2].resource.deliverTo'),
      "and the next entry's unknown facility, in the same answer",
    );
    t.ok(
      expressions.includes('Bundle.entry[3].resource.inventoryListing[0].item[0].quantity'),
      "and the stock count's",
    );
    t.notOk(
      expressions.some((e: string) => e.startsWith('Bundle.entry[1]')),
      'the good entry is not blamed',
    );
    t.equal(upstream(rig), upstreamBefore, 'OpenLMIS unchanged');
    t.equal(await stored(rig), storeBefore, 'the store unchanged');

    // fixed as the answer says, the rest of the Bundle goes through in the next round trip
    bundle.entry[0].resource.quantity.value = 10;
    bundle.entry.splice(2, 2);
    const ok = await rig.fhir('POST', '/fhir/R5', bundle);
    t.equal(ok.status, 200, why(ok));
  });

  await t.test('an invalid entry while OpenLMIS is down: the others are said to be unchecked', async (t) => {
    const invalid = goodOrder();
    invalid.quantity.value = 'ten';
    const down = rig.lmis.sb.faults.add({ path: '/api/**', action: { type: 'status', status: 503 } });
    const res = await rig.fhir('POST', '/fhir/R5', transaction([invalid, goodOrder()]));
    rig.lmis.sb.faults.remove(down.id);
    t.equal(res.status, 400, `the invalid entry's answer, not the outage's: ${why(res)}`);
    t.same(res.body.issue[0].expression, ['Bundle.entry[0].resource.quantity.value']);
    const unchecked = res.body.issue.filter((i: any) => i.severity === 'warning');
    t.equal(unchecked.length, 1, JSON.stringify(res.body.issue));
    t.match(unchecked[0], { code: 'transient', diagnostics: /^not checked: /, expression: [/^Bundle\.entry\[1\]/] });
  });

  await t.test('entries are checked as if the earlier ones were applied', async (t) => {
    // FP-CNDM stock on hand without lot, as the mediator reads it back
    const reports = (
      await rig.fhir('GET', `/fhir/R5/InventoryReport?location=${encodeURIComponent(`Location/${facilityId}`)}`)
    ).body.entry.map((e: any) => e.resource);
    const items = reports.flatMap((r: any) => r.inventoryListing[0].item);
    const soh = items.find(
      (i: any) =>
        i.item.concept.coding[0].code === gtinOf('FP-CNDM') &&
        !(i.extension ?? []).some((e: any) => e.url.endsWith('/lot-number')),
    )?.quantity.value;
    t.ok(soh > 10, `stock on hand ${soh}`);
    const share = Math.ceil(soh * 0.6);
    const [upstreamBefore, storeBefore] = [upstream(rig), await stored(rig)];
    const twice = await rig.fhir(
      'POST',
      '/fhir/R5',
      transaction([adjustment(facilityId, 'FP-CNDM', share), adjustment(facilityId, 'FP-CNDM', share)]),
    );
    t.equal(twice.status, 422, `each subtraction of ${share} fits, both together do not: ${why(twice)}`);
    t.match(
      twice.body.issue[0].diagnostics,
      new RegExp(`stock on hand is ${soh - share}, subtracting ${share} would make it negative`),
    );
    t.same(twice.body.issue[0].expression, ['Bundle.entry[1].resource.inventoryListing[0].item[0].quantity']);

    const order = (n: string) =>
      r5(orderLine({ order: n, facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 10 }));
    const two = await rig.fhir(
      'POST',
      '/fhir/R5',
      transaction([order(`TX-R-${randomUUID().slice(0, 6)}`), order(`TX-R-${randomUUID().slice(0, 6)}`)]),
    );
    t.equal(two.status, 409, `two routine orders for one regular period: ${why(two)}`);
    t.same(two.body.issue[0].expression, ['Bundle.entry[1].resource']);
    t.equal(upstream(rig), upstreamBefore, 'OpenLMIS unchanged');
    t.equal(await stored(rig), storeBefore, 'nothing recorded');
  });

  await t.test(
    'OpenLMIS cannot be asked: a Bundle of several writes is refused whole (503), a single write is queued',
    async (t) => {
      const fault = rig.lmis.sb.faults.add({
        method: 'GET',
        path: '/api/requisitions/periodsForInitiate',
        action: { type: 'status', status: 503 },
      });
      const [upstreamBefore, storeBefore] = [upstream(rig), await stored(rig)];
      const res = await rig.fhir('POST', '/fhir/R5', transaction([goodOrder(), goodOrder()]));
      t.equal(res.status, 503, why(res));
      t.match(res.body.issue[0].diagnostics, /nothing in this transaction was accepted/);
      t.same(res.body.issue[0].expression, ['Bundle.entry[0].resource'], 'names the entry that could not be checked');
      t.equal(upstream(rig), upstreamBefore, 'OpenLMIS unchanged');
      t.equal(await stored(rig), storeBefore, 'nothing recorded');
      const single = await rig.fhir('POST', '/fhir/R5', transaction([goodOrder()]));
      t.equal(single.status, 200, why(single));
      t.equal(
        single.body.entry[0].response.status.slice(0, 3),
        '202',
        'a single write is accepted and queued: its delivery checks again',
      );
      rig.lmis.sb.faults.remove(fault.id);
    },
  );
});
