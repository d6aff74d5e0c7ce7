/**
 * A batch Bundle's answered entries (store v24) are kept only for a batch that awaits OpenHIM's
 * update (a write answered 202): a batch of reads and refused entries, or one whose write is
 * answered at once (here from a write already delivered), owes no update, so nothing ever reads
 * its answers. Before, each such batch kept one row per entry under its X-OpenHIM-TransactionID
 * until the retention prune aged it: a client choosing a new id per batch grew the table without
 * bound. A batch awaiting its update still keeps its whole map, and that update lists every entry.
 * FHIR client → mediator (in process) → OpenLMIS sandbox, OpenHIM sandbox taking the update;
 * SQLite always, PostgreSQL with TEST_DATABASE_URL.
 */
import t from 'tap';
import type { OpenHimSandbox } from '../../../sandbox/openhim/index.js';
import { startRigThroughOpenHim } from '../../support/openhim-rig.js';
import { orderLine, why, type Rig } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';

/** The Bundle through OpenHIM: the mediator answers in OpenHIM's envelope; its response's Bundle. */
async function post(rig: Rig, bundle: unknown, tx: string) {
  const res = await rig.fhir('POST', '/fhir', bundle, { 'x-openhim-transactionid': tx });
  return {
    status: res.body?.response?.status ?? res.status,
    body: JSON.parse(res.body?.response?.body ?? '{}'),
  };
}

/** A batch writing nothing: two reads and an entry refused before any write. */
const nothingWritten = (facilityId: string) => ({
  resourceType: 'Bundle',
  type: 'batch',
  entry: [
    { request: { method: 'GET', url: `Location/${facilityId}` } },
    { resource: { resourceType: 'SupplyRequest' }, request: { method: 'POST', url: 'SupplyRequest' } },
    { request: { method: 'GET', url: `Location/${facilityId}` } },
  ],
});

/** The response Bundle's entry statuses of OpenHIM's (first) update of `tx`. */
async function updatedStatuses(openhim: OpenHimSandbox, tx: string): Promise<string[]> {
  await until('the transaction updated', async () => openhim.state.transactionUpdates.has(tx), 30_000);
  const [update] = openhim.state.transactionUpdates.get(tx) as { response?: { body?: string } }[];
  const body = JSON.parse(update.response?.body ?? '{}') as { entry?: { response: { status: string } }[] };
  return (body.entry ?? []).map((e) => e.response.status);
}

for (const engine of engineCases()) {
  t.test(`${engine.name}: batches writing nothing keep no entry map`, { skip: engine.skip }, async (t) => {
    const { rig } = await startRigThroughOpenHim(t, engine, { OUTBOX_DEADLINE_MS: '300' });
    const facilityId = rig.lmis.seed.facilities['LK-HC-101'];
    const forged = Array.from({ length: 25 }, (_, i) => `65f0c0ffee0000000fa${String(i).padStart(5, '0')}`);
    for (const tx of forged) {
      const answer = await post(rig, nothingWritten(facilityId), tx);
      t.equal(answer.status, 200, why(answer));
      t.match(
        answer.body.entry.map((e: any) => e.response.status),
        ['200 OK', /^4\d\d/, '200 OK'],
        'each entry answered, none written',
      );
    }
    for (const tx of forged)
      t.same(await rig.mediator.store.entriesOfTransaction(tx), [], `no rows under ${tx} (before: 3)`);
    t.same(await rig.mediator.store.jobsOfTransaction(forged[0]), [], 'no write owes an update');
  });

  t.test(`${engine.name}: batches answered in full at once keep no entry map`, { skip: engine.skip }, async (t) => {
    const { rig } = await startRigThroughOpenHim(t, engine);
    const facilityId = rig.lmis.seed.facilities['LK-HC-101'];
    const line = orderLine({ order: 'HIM-GATE-DONE', facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 10 });
    // the write delivered first (directly, no transaction): each batch below is answered from it at once
    const direct = await rig.fhir('POST', '/fhir/SupplyRequest', line);
    t.ok([201, 202].includes(direct.status), why(direct));
    const key = 'order|https://mobile.example.org/orders|HIM-GATE-DONE';
    await until('the write delivered', async () => (await rig.mediator.store.findJobsByKey(key))[0]?.status === 'done');
    const batch = nothingWritten(facilityId);
    batch.entry[1] = { resource: line, request: { method: 'POST', url: 'SupplyRequest' } };
    const forged = Array.from({ length: 10 }, (_, i) => `65f0c0ffee0000000fd${String(i).padStart(5, '0')}`);
    for (const tx of forged) {
      const answer = await post(rig, batch, tx);
      t.equal(answer.status, 200, why(answer));
      t.match(
        answer.body.entry.map((e: any) => e.response.status),
        ['200 OK', /^20[01]/, '200 OK'],
        'the write answered from the one delivered, the reads answered',
      );
    }
    for (const tx of forged)
      t.same(
        await rig.mediator.store.entriesOfTransaction(tx),
        [],
        `${tx}: no rows (before: the write's own entry, recorded with it, stayed until retention)`,
      );
  });

  // a transaction Bundle's write entries are recorded with its writes, before it is known that all
  // are answered at once: resent under new ids, each kept its map until retention
  t.test(
    `${engine.name}: a transaction resent after its writes were delivered keeps no entry map`,
    { skip: engine.skip },
    async (t) => {
      const { rig } = await startRigThroughOpenHim(t, engine);
      // two facilities: one regular requisition each for the period
      const facilities = ['LK-HC-102', 'LK-HC-103'].map((code) => rig.lmis.seed.facilities[code]);
      const line = (order: string, facilityId: string) =>
        orderLine({ order, facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 10 });
      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: ['HIM-TX-RESENT-1', 'HIM-TX-RESENT-2'].map((o, i) => ({
          resource: line(o, facilities[i]),
          request: { method: 'POST', url: 'SupplyRequest' },
        })),
      };
      const first = await post(rig, bundle, '65f0c0ffee0000000fe00000');
      t.equal(first.status, 200, why(first));
      for (const o of ['HIM-TX-RESENT-1', 'HIM-TX-RESENT-2'])
        await until(
          `${o} delivered`,
          async () =>
            (await rig.mediator.store.findJobsByKey(`order|https://mobile.example.org/orders|${o}`))[0]?.status ===
            'done',
        );
      const resent = Array.from({ length: 5 }, (_, i) => `65f0c0ffee0000000fe${String(i + 1).padStart(5, '0')}`);
      for (const tx of resent) {
        const answer = await post(rig, bundle, tx);
        t.equal(answer.status, 200, why(answer));
        t.match(
          answer.body.entry.map((e: any) => e.response.status),
          [/^20[01]/, /^20[01]/],
          'both writes answered from the ones delivered',
        );
      }
      for (const tx of resent)
        t.same(await rig.mediator.store.entriesOfTransaction(tx), [], `${tx}: no rows (before: 2)`);
    },
  );

  t.test(
    `${engine.name}: a batch with a write keeps its map and its update lists every entry`,
    { skip: engine.skip },
    async (t) => {
      const { openhim, rig } = await startRigThroughOpenHim(t, engine, { OUTBOX_DEADLINE_MS: '300' });
      const facilityId = rig.lmis.seed.facilities['LK-HC-101'];
      // the first delivery answers 503: the write is answered 202 and delivered on retry
      rig.lmis.sb.faults.add({
        method: 'POST',
        path: '/api/requisitions/initiate',
        action: { type: 'status', status: 503 },
        times: 1,
      });
      const batch = nothingWritten(facilityId);
      batch.entry.push({
        resource: orderLine({ order: 'HIM-GATE-1', facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 10 }),
        request: { method: 'POST', url: 'SupplyRequest' },
      });
      const tx = '65f0c0ffee0000000fb00001';
      const answer = await post(rig, batch, tx);
      t.equal(answer.status, 200, why(answer));
      t.match(
        answer.body.entry.map((e: any) => e.response.status),
        ['200 OK', /^4\d\d/, '200 OK', /^202/],
      );
      t.same(
        (await rig.mediator.store.entriesOfTransaction(tx)).map((e) => e.entry),
        [0, 1, 2, 3],
        'every entry mapped',
      );
      t.match(
        await updatedStatuses(openhim, tx),
        ['200 OK', /^4\d\d/, '200 OK', '201 Created'],
        'the update lists the entries answered without a write beside the write',
      );
    },
  );
}
