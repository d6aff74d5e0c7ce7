/**
 * A batch whose only write is a duplicate still keeps its entry map (routing/batch-answers-gate.ts
 * keeps a batch's answers only when the request recorded a write's entry): a duplicate records no
 * job of its own, yet answered 202 from a write still in flight it owes OpenHIM an update, and that update
 * must list every entry of the batch, not the write alone. Two ways a client meets it: the batch
 * sent again under a new transaction id (a rerun), and the same batch retried under the same id.
 * FHIR client → mediator (in process) → OpenLMIS sandbox, OpenHIM sandbox taking the updates;
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

/** A batch of a read, one order line and another read. */
const batchOf = (facilityId: string, order: string) => ({
  resourceType: 'Bundle',
  type: 'batch',
  entry: [
    { request: { method: 'GET', url: `Location/${facilityId}` } },
    {
      resource: orderLine({ order, facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 10 }),
      request: { method: 'POST', url: 'SupplyRequest' },
    },
    { request: { method: 'GET', url: `Location/${facilityId}` } },
  ],
});

/** The response Bundle's entry statuses of OpenHIM's last update of `tx`. */
async function updatedStatuses(openhim: OpenHimSandbox, tx: string): Promise<string[]> {
  await until('the transaction updated', async () => openhim.state.transactionUpdates.has(tx), 30_000);
  const updates = openhim.state.transactionUpdates.get(tx) as { response?: { body?: string } }[];
  const body = JSON.parse(updates[updates.length - 1].response?.body ?? '{}') as {
    entry?: { response: { status: string } }[];
  };
  return (body.entry ?? []).map((e) => e.response.status);
}

const statuses = (answer: { body: { entry: { response: { status: string } }[] } }) =>
  answer.body.entry.map((e) => e.response.status);

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a batch answered from a write in flight keeps its map; its update lists every entry`,
    { skip: engine.skip },
    async (t) => {
      const { openhim, rig } = await startRigThroughOpenHim(t, engine, { OUTBOX_DEADLINE_MS: '300' });
      const facilityId = rig.lmis.seed.facilities['LK-HC-101'];
      // one regular requisition per facility, program and period: the second order at another facility
      const other = rig.lmis.seed.facilities['LK-HC-102'];
      // both orders' first initiates wait until the test has sent every batch: each write in flight
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      t.teardown(() => release()); // a failed step must not leave the sandbox's requests waiting
      rig.lmis.sb.faults.add({
        method: 'POST',
        path: '/api/requisitions/initiate',
        action: { type: 'held', released },
        times: 2,
      });

      // a rerun: the batch again under a new transaction id, its write a duplicate of the first's
      const first = await post(rig, batchOf(facilityId, 'HIM-DUP-1'), '65f0c0ffee0000000fc00001');
      t.equal(first.status, 200, why(first));
      t.match(statuses(first), ['200 OK', /^202/, '200 OK'], 'the write in flight: 202');
      const rerun = await post(rig, batchOf(facilityId, 'HIM-DUP-1'), '65f0c0ffee0000000fc00002');
      t.match(statuses(rerun), ['200 OK', /^202/, '200 OK'], 'the duplicate answered from the write in flight');

      // the same batch retried under the same id (core keeps the later request's envelope)
      const retriedTx = '65f0c0ffee0000000fc00003';
      t.match(statuses(await post(rig, batchOf(other, 'HIM-DUP-2'), retriedTx)), ['200 OK', /^202/, '200 OK']);
      const retried = await post(rig, batchOf(other, 'HIM-DUP-2'), retriedTx);
      t.match(statuses(retried), ['200 OK', /^202/, '200 OK'], 'the retry answered from the write in flight');

      for (const tx of ['65f0c0ffee0000000fc00002', retriedTx])
        t.same(
          (await rig.mediator.store.entriesOfTransaction(tx))
            .filter((e) => e.jobId === undefined)
            .map((e) => e.entry)
            .sort(),
          tx === retriedTx ? [0, 0, 2, 2] : [0, 2],
          `${tx}: each request's reads mapped beside its write`,
        );
      release();
      for (const tx of ['65f0c0ffee0000000fc00001', '65f0c0ffee0000000fc00002', retriedTx])
        t.same(
          await updatedStatuses(openhim, tx),
          ['200 OK', '201 Created', '200 OK'],
          `${tx}: the update lists the reads beside the write`,
        );
    },
  );
}
