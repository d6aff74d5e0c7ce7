/**
 * DHIS2 RTS requisitions fulfilled by Open mSupply (issue 15 "Must show"), through the real
 * connectors and both sandboxes: ten requisitions completed at five facilities become ten response
 * requisitions in the warehouse, each for its facility's customer, carrying the event UID, with the
 * requested units; a second run adds nothing; a requisition completed later is picked up by the next
 * run, one still being written (ACTIVE) is not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { RTS_REQUISITIONS_CURSOR } from '../../../src/bridges/rts-to-msupply.js';
import { openStore } from '../../../src/store/index.js';
import {
  PRODUCTS,
  completeConsignment,
  countStock,
  rtsEvents,
  rtsStock,
  consignments,
  shipAll,
  drain,
  instanceOn,
  postRequisitions,
  raiseRequisitions,
  responses,
  startRtsSandboxes,
} from './rts-rig.js';

const itemCodeOf = new Map(PRODUCTS.map(([dhis2, msupply]) => [dhis2, msupply]));

t.test('ten RTS requisitions at five facilities → ten response requisitions, once', async (t) => {
  const sb = await startRtsSandboxes();
  const dir = mkdtempSync(path.join(tmpdir(), 'rts-bridge-'));
  const store = await openStore({ dataDir: dir });
  const a = instanceOn(store, sb.settings);
  t.teardown(async () => {
    await a.close();
    await store.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });

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
    const sb = await startRtsSandboxes();
    const dir = mkdtempSync(path.join(tmpdir(), 'rts-bridge-'));
    const store = await openStore({ dataDir: dir });
    const a = instanceOn(store, sb.settings);
    t.teardown(async () => {
      await a.close();
      await store.close();
      await sb.close();
      rmSync(dir, { recursive: true, force: true });
    });
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
  const sb = await startRtsSandboxes();
  const dir = mkdtempSync(path.join(tmpdir(), 'rts-bridge-'));
  const store = await openStore({ dataDir: dir });
  const a = instanceOn(store, sb.settings);
  t.teardown(async () => {
    await a.close();
    await store.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });
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
  const run = await a.job.run();
  await drain(a.outbox, store);
  t.match(run, { counts: { 'consignments.shipped': 10, 'consignments.consigned': 10 } });
  const made = consignments(sb.dhis2);
  t.equal(made.size, 10, 'one consignment per shipment');
  for (const r of raised) {
    const resp = responses(sb.ms).find((x) => x.theirReference === r.event)!;
    const shipment = [...sb.ms.state.invoices.values()].find((i) => i.requisitionId === resp.id)!;
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
  const sb = await startRtsSandboxes();
  const dir = mkdtempSync(path.join(tmpdir(), 'rts-bridge-'));
  const store = await openStore({ dataDir: dir });
  const a = instanceOn(store, sb.settings);
  t.teardown(async () => {
    await a.close();
    await store.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const raised = await raiseRequisitions(sb.dhis2, 10);
  await a.job.run();
  shipAll(sb.ms);
  await a.job.run();
  await drain(a.outbox, store);
  const shipmentOf = (r: (typeof raised)[number]) => {
    const resp = responses(sb.ms).find((x) => x.theirReference === r.event)!;
    return [...sb.ms.state.invoices.values()].find((i) => i.requisitionId === resp.id)!.id;
  };
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

t.test('DHIS2 2.39 (tracker exports paged as `instances`): the same ten, the same once', async (t) => {
  const sb = await startRtsSandboxes('2.39.2');
  const dir = mkdtempSync(path.join(tmpdir(), 'rts-bridge-'));
  const store = await openStore({ dataDir: dir });
  const a = instanceOn(store, sb.settings);
  t.teardown(async () => {
    await a.close();
    await store.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await raiseRequisitions(sb.dhis2, 10);
  t.match(await a.job.run(), { counts: { read: 10, created: 10 } });
  shipAll(sb.ms);
  t.match(await a.job.run(), { counts: { already: 10, 'consignments.consigned': 10 } });
  await drain(a.outbox, store);
  t.equal(responses(sb.ms).length, 10);
  t.equal(consignments(sb.dhis2).size, 10);
});
