/**
 * DHIS2 RTS requisitions fulfilled by Open mSupply (issue 15 "Must show"), through the real
 * connectors and both sandboxes: ten requisitions completed at five facilities become ten response
 * requisitions, each in its facility's own supplying store (two stores, chosen by routing.json
 * `supplyingStores`), for its facility's customer, carrying the event UID, with the requested
 * units; a second run adds nothing; a requisition completed later is picked up by the next run, one
 * still being written (ACTIVE) is not; a facility no rule covers, or a store Open mSupply does not
 * have, is held with the reason and sent once the rules cover it; a facility that is itself an Open
 * mSupply store has its inbound shipment confirmed, once.
 */
import t from 'tap';
import { runView } from '../../../src/admin/jobs-routes.js';
import { Scheduler } from '../../../src/jobs/scheduler.js';
import { RTS_REQUISITIONS_CURSOR, type RtsRunResult } from '../../../src/bridges/rts-to-msupply.js';
import type { SupplyingStores } from '../../../src/bridges/rts-supplier.js';
import { CONSIGNMENT, REQUISITION, RTS } from '../../../sandbox/dhis2/index.js';
import {
  HOSPITAL_STORE,
  PRODUCTS,
  REGIONAL,
  SUPPLIER_OF,
  SUPPLYING_STORES,
  WAREHOUSE,
  completeConsignment,
  hospitalInbounds,
  orgUnitOf,
  countStock,
  rtsEvents,
  rtsStock,
  consignments,
  shipAll,
  drain,
  instanceAOn,
  raiseAndShip,
  shipmentFor,
  postRequisitions,
  raiseRequisitions,
  responses,
} from './rts-rig.js';
import { engineCases } from '../../support/outbox-engines.js';

/** These run on SQLite; the rts-* tests that take an engine run on both. */
const sqlite = engineCases()[0];

const itemCodeOf = new Map(PRODUCTS.map(([dhis2, msupply]) => [dhis2, msupply]));

t.test('ten RTS requisitions at five facilities → ten response requisitions, once', async (t) => {
  const { sb, store, a } = await instanceAOn(t, sqlite);

  const raised = await raiseRequisitions(sb.dhis2, 10);
  const first = await a.job.run();
  await drain(a.outbox, store);
  t.match(first, { counts: { pages: 1, read: 10, created: 10, already: 0, rejected: 0, skipped: 0 } }, 'ten written');

  const made = responses(sb.ms);
  t.equal(made.length, 10, 'ten response requisitions in the warehouse');
  for (const r of raised) {
    const resp = made.find((m) => m.theirReference === r.event);
    t.ok(resp, `requisition ${r.event} has its response requisition`);
    if (!resp) continue;
    t.equal(resp.storeId, SUPPLIER_OF[r.facility], `in ${r.facility}'s own supplying store`);
    t.equal(sb.ms.state.names.get(resp.otherPartyId)?.code, r.facility, 'for the facility named by its org unit code');
    t.equal(resp.status, 'NEW');
    t.match(resp.comment, r.event, 'the comment tags the DHIS2 event');
    const lines = Object.fromEntries(
      resp.lines.map((l) => [sb.ms.state.items.get(l.itemId)!.code, l.requestedQuantity]),
    );
    t.same(
      lines,
      Object.fromEntries(Object.entries(r.lines).map(([code, units]) => [itemCodeOf.get(code), units])),
      'requested units per item',
    );
  }
  t.equal(new Set(made.map((m) => m.otherPartyId)).size, 5, 'five customers');
  t.equal(made.filter((m) => m.storeId === REGIONAL).length, 6, 'six in the regional store (Mberewa district)');
  t.equal(made.filter((m) => m.storeId === WAREHOUSE).length, 4, 'four in the central warehouse (the default)');
  t.ok(await store.getCursor(RTS_REQUISITIONS_CURSOR), 'the high-water mark is stored');

  const writes = sb.ms.state.applied.length;
  const second = await a.job.run();
  await drain(a.outbox, store);
  t.match(second, { counts: { read: 10, created: 0, already: 10 } }, 'the overlap re-reads them, the keys find them');
  t.equal(responses(sb.ms).length, 10, 'still ten');
  t.equal(sb.ms.state.applied.length, writes, 'Open mSupply saw no write');

  // one more completed, one still being filled in at its facility
  const [late] = await raiseRequisitions(sb.dhis2, 1, 'late');
  await postRequisitions(sb.dhis2, [{ event: 'LkDraftReq1', facility: 'LK-HC-101', lines: { EM_ORS: 50 } }], 'ACTIVE');
  const third = await a.job.run();
  await drain(a.outbox, store);
  t.match(third, { counts: { created: 1, already: 10 } });
  t.equal(responses(sb.ms).length, 11, 'the late one added, the draft not');
  t.ok(responses(sb.ms).some((r) => r.theirReference === late.event));

  // the facility edits a requisition mSupply already has: counted, never a second requisition
  const edited = { ...raised[0], lines: Object.fromEntries(Object.keys(raised[0].lines).map((c) => [c, 7])) };
  await postRequisitions(sb.dhis2, [edited]);
  const fourth = await a.job.run();
  await drain(a.outbox, store);
  t.match(fourth, { counts: { created: 0, changedAfterSent: 1 } }, 'the edit is reported');
  t.equal(responses(sb.ms).length, 11, 'no requisition added');
  t.same(
    responses(sb.ms)
      .find((r) => r.theirReference === raised[0].event)!
      .lines.map((l) => l.requestedQuantity)
      .sort((x, y) => x - y),
    Object.values(raised[0].lines).sort((x, y) => x - y),
    'mSupply keeps what it was sent',
  );
});

t.test(
  'a facility Open mSupply does not know: the write is refused with the reason, the rest go through',
  async (t) => {
    const { sb, store, a } = await instanceAOn(t, sqlite);
    await postRequisitions(sb.dhis2, [
      { event: 'LkUnknownF1', facility: 'LK-WH-302', lines: { EM_ORS: 50 } },
      { event: 'LkKnownFac1', facility: 'LK-HC-103', lines: { EM_ORS: 100 } },
    ]);
    const run = await a.job.run();
    t.match(run, { counts: { created: 1, rejected: 1 } });
    const [job] = await store.findJobsByKey(
      'fulfil|http://fhir-supply-mediator.org/fhir/identifier/dhis2-event|LkUnknownF1',
    );
    t.equal(job?.status, 'rejected');
    t.match(job?.error?.issues?.[0], {
      code: 'business-rule',
      diagnostics: /LK-WH-302 .* is not a name in Open mSupply store WH-CENTRAL/,
      expression: ['Order.facility'],
    });
    t.equal(responses(sb.ms).length, 1);
  },
);

t.test('shipments made against those requisitions → consignment events at each facility, once', async (t) => {
  let rules: SupplyingStores = SUPPLYING_STORES;
  const { sb, store, a } = await instanceAOn(t, sqlite, { supplyingStores: () => rules });
  const raised = await raiseRequisitions(sb.dhis2, 10);
  await a.job.run();
  await drain(a.outbox, store);
  t.equal(consignments(sb.dhis2).size, 0, 'nothing shipped, nothing to consign');

  // the warehouse supplies what was asked and ships, as its staff do in Open mSupply: one through the
  // sandbox's control API (a customer without a store of its own gets no inbound shipment), the rest in-process
  const firstResponse = responses(sb.ms).find((r) => r.theirReference === raised[0].event)!;
  const shipped = await fetch(`${sb.ms.url}/_sandbox/requisitions/${firstResponse.id}/ship`, { method: 'POST' });
  t.equal(shipped.status, 201);
  t.match(await shipped.json(), { outboundShipmentId: String, inboundShipmentId: null });
  t.equal(shipAll(sb.ms).length, 9, 'ten outbound shipments, SHIPPED');
  // the regional store's rule is gone before its shipments are read: its six are consigned all the same
  rules = {};
  const run = await a.job.run();
  await drain(a.outbox, store);
  t.match(run, { counts: { 'consignments.shipped': 10, 'consignments.consigned': 10 } });
  const made = consignments(sb.dhis2);
  t.equal(made.size, 10, 'one consignment per shipment');
  for (const r of raised) {
    const shipment = shipmentFor(sb.ms, r.event);
    const c = made.get(shipment.id);
    t.ok(c, `shipment ${shipment.id} consigned`);
    if (!c) continue;
    t.equal(c.facility, r.facility, 'at the facility that ordered');
    t.same(c.units, r.lines, 'the shipped units per item (packs × pack size), as requested');
    t.ok(
      c.statuses.every((s) => s === 'ACTIVE'),
      'open until the facility scans and completes it',
    );
  }

  const again = await a.job.run();
  await drain(a.outbox, store);
  t.match(again, { counts: { 'consignments.consigned': 0, 'consignments.already': 10 } }, 're-read, nothing new');
  t.equal(
    [...consignments(sb.dhis2).values()].reduce((n, c) => n + c.events, 0),
    20,
    'twenty events, no twins',
  );
});

t.test('consignments the facilities complete → their stock written back to RTS, once', async (t) => {
  const { sb, store, a } = await instanceAOn(t, sqlite);
  const raised = await raiseRequisitions(sb.dhis2, 10);
  await a.job.run();
  shipAll(sb.ms);
  await a.job.run();
  await drain(a.outbox, store);
  const shipmentOf = (r: (typeof raised)[number]) => shipmentFor(sb.ms, r.event).id;
  const [first, second, third] = raised;
  const [firstItem, secondItem] = Object.keys(second.lines);
  // the facility of the second counted 40 units of its first item before the goods came
  await countStock(sb.dhis2, second.facility, firstItem, 40, '2026-11-01T08:00:00.000');
  t.equal(rtsStock(sb.dhis2, second.facility, firstItem), 40);
  await completeConsignment(sb.dhis2, shipmentOf(first));
  // one pack of the second's second item arrived broken: the facility records what it got
  const short = second.lines[secondItem] - 10;
  await completeConsignment(sb.dhis2, shipmentOf(second), { [secondItem]: short });
  const before = rtsEvents(sb.dhis2).length;

  const run = await a.job.run();
  await drain(a.outbox, store);
  t.match(
    run,
    { counts: { 'receipts.received': 2, 'receipts.written': 2 } },
    'two consignments completed, two written back',
  );
  t.equal(rtsEvents(sb.dhis2).length, before + 4, 'one RTS count per item received');
  t.equal(rtsStock(sb.dhis2, second.facility, firstItem), 40 + second.lines[firstItem], 'stock before + received');
  t.equal(rtsStock(sb.dhis2, second.facility, secondItem), short, 'what arrived, not what was shipped');
  for (const [code, units] of Object.entries(first.lines))
    t.equal(rtsStock(sb.dhis2, first.facility, code), units, `${first.facility} ${code}: ${units} received`);
  t.equal(
    rtsStock(sb.dhis2, third.facility, Object.keys(third.lines)[0]),
    0,
    'a consignment not completed changes nothing',
  );

  const again = await a.job.run();
  await drain(a.outbox, store);
  t.match(again, { counts: { 'receipts.written': 0, 'receipts.already': 2 } }, 're-read, nothing new');
  t.equal(rtsEvents(sb.dhis2).length, before + 4, 'no count written twice');
});

t.test('dhis2.rtsItemCode=msupply: RTS names items by Open mSupply codes; the same cycle, once', async (t) => {
  const { sb, store, a } = await instanceAOn(t, sqlite, {
    settings: (sb) => ({
      ...sb.settings,
      'dhis2.rtsItemCode': 'msupply',
      'dhis2.requisitionDataElements': PRODUCTS.map(([d, m]) => `${m}=${REQUISITION.quantities[d]}`).join(','),
    }),
  });
  // this DHIS2's RTS items are named by their mSupply codes, as mSupply's preference can have it
  for (const te of sb.dhis2.tracker.trackedEntities.values())
    for (const attr of te.attributes)
      if (attr.attribute === RTS.itemCode) attr.value = itemCodeOf.get(attr.value) ?? attr.value;
  const raised = await raiseRequisitions(sb.dhis2, 10);
  t.match(await a.job.run(), { counts: { read: 10, created: 10, skipped: 0 } }, 'the mSupply-keyed quantities read');
  shipAll(sb.ms);
  t.match(await a.job.run(), { counts: { 'consignments.consigned': 10 } });
  await drain(a.outbox, store);
  t.equal(responses(sb.ms).length, 10, 'ten response requisitions');
  const items = [...sb.dhis2.tracker.events.values()]
    .filter((e) => e.program === CONSIGNMENT.program)
    .map((e) => e.dataValues.find((d) => d.dataElement === CONSIGNMENT.item)?.value);
  t.ok(items.length >= 10, `${items.length} consignment events`);
  t.same(
    [...new Set(items)].filter((i) => !PRODUCTS.some(([, m]) => m === i)),
    [],
    'every consignment item named by its Open mSupply code',
  );

  const first = raised[0];
  await completeConsignment(sb.dhis2, shipmentFor(sb.ms, first.event).id);
  const run = await a.job.run();
  await drain(a.outbox, store);
  t.match(run, { counts: { 'receipts.received': 1, 'receipts.written': 1 } }, 'the receipt written back');
  for (const [code, units] of Object.entries(first.lines))
    t.equal(
      rtsStock(sb.dhis2, first.facility, itemCodeOf.get(code)!),
      units,
      `${first.facility}: ${units} of RTS item ${itemCodeOf.get(code)} received`,
    );
});

t.test('DHIS2 2.39 (tracker exports paged as `instances`): the same ten, the same once', async (t) => {
  const { sb, store, a } = await instanceAOn(t, sqlite, { version: '2.39.2' });
  await raiseRequisitions(sb.dhis2, 10);
  t.match(await a.job.run(), { counts: { read: 10, created: 10 } });
  shipAll(sb.ms);
  t.match(await a.job.run(), { counts: { already: 10, 'consignments.consigned': 10 } });
  await drain(a.outbox, store);
  t.equal(responses(sb.ms).length, 10);
  t.equal(consignments(sb.dhis2).size, 10);
});

t.test(
  'a facility no rule covers, or a store Open mSupply lacks: held with the reason, sent once covered',
  async (t) => {
    // no default store: only Mberewa district is covered, and Tsangano by a store Open mSupply lacks
    let rules: SupplyingStores = {
      rules: [
        ...SUPPLYING_STORES.rules!,
        { name: 'Tsangano: a store not opened yet', when: { facility: ['LK-HC-103'] }, store: 'LK-WH-399' },
      ],
      default: null,
    };
    const { sb, store, a } = await instanceAOn(t, sqlite, { supplyingStores: () => rules });
    const raised = await raiseRequisitions(sb.dhis2, 10);
    // those no rule will cover were completed an hour before the rest: beyond the re-read overlap
    const heldEvents = raised.filter((r) => ['LK-HC-103', 'LK-HC-104'].includes(r.facility)).map((r) => r.event);
    const hourBefore = (stamp: string) => new Date(Date.parse(`${stamp}Z`) - 3_600_000).toISOString().replace(/Z$/, '');
    for (const uid of heldEvents) {
      const e = sb.dhis2.tracker.events.get(uid)!;
      e.updatedAt = hourBefore(e.updatedAt);
    }
    const oldest = heldEvents.map((uid) => sb.dhis2.tracker.events.get(uid)!.updatedAt).sort()[0];
    const first = (await a.job.run()) as RtsRunResult;
    await drain(a.outbox, store);
    t.match(first.counts, { read: 10, created: 6, held: 4, rejected: 0 }, 'six sent, four held');
    t.equal(responses(sb.ms).length, 6, 'nothing sent to a store that does not supply the facility');
    t.ok(
      responses(sb.ms).every((r) => r.storeId === REGIONAL),
      'all six in the regional store',
    );
    const heldAt = (code: string) => first.held!.filter((h) => h.facility === code);
    t.equal(heldAt('LK-HC-104').length, 2);
    t.match(
      heldAt('LK-HC-104')[0].reason,
      /no supplying-store rule matched .*"Mberewa district: Northern RMS".* has no default/,
    );
    t.equal(heldAt('LK-HC-103').length, 2);
    t.match(
      heldAt('LK-HC-103')[0].reason,
      /supplying store LK-WH-399 \(by rule "Tsangano: a store not opened yet"\): .*not an Open mSupply store/,
    );
    t.same(
      first.held!.map((h) => h.event).sort(),
      raised
        .filter((r) => ['LK-HC-103', 'LK-HC-104'].includes(r.facility))
        .map((r) => r.event)
        .sort(),
      'each held requisition named',
    );
    t.match(
      first.unreadStores,
      [{ store: 'LK-WH-399', reason: /not an Open mSupply store/ }],
      'its shipments not read',
    );
    const mark = await store.getCursor(RTS_REQUISITIONS_CURSOR);
    t.equal(mark, oldest, 'the mark waits at the oldest held requisition, not at the newest read');

    // the scheduled run keeps why with its record (GET /admin/jobs, the console, `jobs list`)
    const scheduled = await new Scheduler({ store, jobs: [a.job], expression: () => undefined }).runNow(a.job.name);
    t.match(scheduled?.run, { outcome: 'ok', counts: { created: 0, already: 6, held: 4 } }, 'a run by the scheduler');
    const recorded = (await store.listJobRuns(a.job.name, 1))[0];
    const lines = recorded.detail?.split('\n') ?? [];
    for (const h of first.held!)
      t.ok(
        lines.includes(`held: requisition event ${h.event} of facility ${h.facility}: ${h.reason}`),
        `the run's record names held ${h.event} (${h.facility}) and why`,
      );
    t.match(lines.at(-1), /^not read: shipments of store LK-WH-399: .*not an Open mSupply store/);
    t.equal(lines.length, 5, 'four held, one store unread, nothing else');
    t.equal(runView(recorded).detail, recorded.detail, 'GET /admin/jobs shows it');

    // a run later still holds them (the mark waited for them), and reads nothing it wrote as new
    const again = (await a.job.run()) as RtsRunResult;
    t.match(again.counts, { created: 0, already: 6, held: 4 }, 'still held, read again');
    t.equal(await store.getCursor(RTS_REQUISITIONS_CURSOR), mark, 'the mark has not passed them');

    // the rules now cover them: the next run sends exactly those four, to the warehouse
    rules = { ...SUPPLYING_STORES, default: 'WH-CENTRAL' };
    const third = (await a.job.run()) as RtsRunResult;
    await drain(a.outbox, store);
    t.match(third.counts, { created: 4, already: 6, held: 0 });
    t.notOk(third.held, 'nothing held');
    t.notOk(third.detail, 'nothing left behind to tell');
    t.equal(responses(sb.ms).length, 10, 'ten response requisitions');
    for (const r of raised)
      t.equal(
        responses(sb.ms).find((x) => x.theirReference === r.event)?.storeId,
        SUPPLIER_OF[r.facility],
        `${r.event} in ${r.facility}'s supplying store`,
      );
  },
);

t.test(
  'a facility that is itself an Open mSupply store: its inbound shipment confirmed as received, once',
  async (t) => {
    const { sb, store, a } = await instanceAOn(t, sqlite);
    const raised = await raiseAndShip(sb, a, store, 10);
    const inbounds = hospitalInbounds(sb.ms);
    t.equal(inbounds.length, 2, "Open mSupply's transfer made the hospital store two inbound shipments");
    t.ok(
      inbounds.every((i) => i.status === 'SHIPPED'),
      'SHIPPED, waiting for the hospital',
    );
    const hospital = raised.filter((r) => r.facility === 'LK-DH-201');
    t.equal(hospital.length, 2);
    const shipmentOf = (r: (typeof raised)[number]) => shipmentFor(sb.ms, r.event);
    // of the first (two packs of its first item), one pack is missing; the second arrives whole
    const [short, whole] = hospital;
    const [shortItem] = Object.keys(short.lines);
    const packOf = new Map(PRODUCTS.map(([code, , pack]) => [code, pack]));
    const shortUnits = short.lines[shortItem] - packOf.get(shortItem)!;
    await completeConsignment(sb.dhis2, shipmentOf(whole).id);
    await completeConsignment(sb.dhis2, shipmentOf(short).id, { [shortItem]: shortUnits });
    // and a facility without a store of its own completes one too: nothing to confirm in Open mSupply
    await completeConsignment(sb.dhis2, shipmentOf(raised[0]).id);

    const run = (await a.job.run()) as RtsRunResult;
    await drain(a.outbox, store);
    t.match(run.counts, { 'receipts.written': 3, 'inbounds.confirmed': 2, 'inbounds.rejected': 0 });
    for (const r of [whole, short]) {
      const outbound = shipmentOf(r);
      const inbound = hospitalInbounds(sb.ms).find((i) => i.linkedInvoiceId === outbound.id)!;
      t.ok(['RECEIVED', 'VERIFIED'].includes(inbound.status), `${r.event}: its inbound shipment is received`);
      for (const line of inbound.lines) {
        const code = PRODUCTS.find(([, ms]) => ms === sb.ms.state.items.get(line.itemId)!.code)![0];
        const units = r === short && code === shortItem ? shortUnits : r.lines[code];
        t.equal(line.numberOfPacks * line.packSize, units, `${r.event} ${code}: ${units} units received`);
        const stock = sb.ms.state.stockLines.get(line.stockLineId ?? '');
        t.equal(stock?.totalNumberOfPacks, line.numberOfPacks, "in the hospital store's stock");
        t.equal(stock?.storeId, HOSPITAL_STORE);
      }
    }
    const updates = sb.ms.state.applied.filter((x) => x.mutation === 'updateInboundShipment').length;
    const stockLines = [...sb.ms.state.stockLines.values()].filter((x) => x.storeId === HOSPITAL_STORE).length;

    const again = (await a.job.run()) as RtsRunResult;
    await drain(a.outbox, store);
    t.match(again.counts, { 'inbounds.confirmed': 0, 'inbounds.already': 2 }, 're-read, nothing new');
    t.equal(
      sb.ms.state.applied.filter((x) => x.mutation === 'updateInboundShipment').length,
      updates,
      'Open mSupply saw no second confirmation',
    );
    t.equal(
      [...sb.ms.state.stockLines.values()].filter((x) => x.storeId === HOSPITAL_STORE).length,
      stockLines,
      'no stock received twice',
    );
  },
);

t.test(
  'fromCrosswalk: the district the crosswalk links to an Open mSupply store supplies its facilities',
  async (t) => {
    // no rule: Mberewa district and the regional store were reconciled to one registry facility
    const { sb, store, a } = await instanceAOn(t, sqlite, { supplyingStores: () => ({ fromCrosswalk: true }) });
    const link = (system: string, systemId: string, state: 'manual-match' | 'review') =>
      store.upsertCrosswalk({
        system,
        systemId,
        registryId: 'mfr-mberewa-district-store',
        state,
        zone: 'auto',
        reasons: [],
        suggestions: [],
        decidedBy: 'reviewer',
        decidedAt: '2026-12-01T00:00:00Z',
      });
    await link('dhis2', orgUnitOf(sb.dhis2, 'LKL-N-MBR'), 'manual-match');
    await link('msupply', REGIONAL, 'manual-match');
    // Tsangano district is only proposed for review: not a link, so its facility takes the default
    await store.upsertCrosswalk({
      system: 'dhis2',
      systemId: orgUnitOf(sb.dhis2, 'LKL-N-TSG'),
      registryId: 'mfr-mberewa-district-store',
      state: 'review',
      zone: 'review',
      reasons: [],
      suggestions: [],
      decidedBy: 'auto',
      decidedAt: '2026-12-01T00:00:00Z',
    });
    const raised = await raiseRequisitions(sb.dhis2, 10);
    t.match(await a.job.run(), { counts: { read: 10, created: 10, held: 0 } });
    await drain(a.outbox, store);
    for (const r of raised)
      t.equal(
        responses(sb.ms).find((x) => x.theirReference === r.event)?.storeId,
        SUPPLIER_OF[r.facility],
        `${r.event} (${r.facility}) in ${SUPPLIER_OF[r.facility]}`,
      );
  },
);
