/**
 * DeliveryContext.awaitJob: an attempt that must follow another job under way (a facility after
 * its parent's create, routing/linked-parent.ts) waits for that job's end without its delivery
 * slot, so the system's other writes are not held back meanwhile, and takes the slot back after.
 * Before, the facility's attempt polled the store every 25 ms holding its slot. The slot count
 * stays right whatever happens: the awaited job ends, the wait runs out, the waiting attempt is
 * abandoned at its timeout while it has no slot, or other writes keep the slot it gave up (it is
 * then due again at once, uncharged).
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { outboxFixture, waitFor } from '../../support/outbox-fixture.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import type { Store } from '../../../src/store/types.js';

/** A promise and the function that settles it. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** The id of the job recorded under `key`, once it is. */
async function jobOfKey(store: Store, key: string): Promise<string> {
  await waitFor(async () => (await store.findJobsByKey(key)).length > 0);
  return (await store.findJobsByKey(key))[0].id;
}

const freeSlots = (outbox: Outbox, system: string): number =>
  (outbox as unknown as { semaphores: Map<string, { available(): number }> }).semaphores.get(system)?.available() ?? -1;

for (const engine of engineCases()) {
  t.test(`${engine.name}: a wait for another job gives the slot to other writes`, { skip: engine.skip }, async (t) => {
    const f = await outboxFixture(t, engine, { options: { concurrency: { default: 2 } } });
    const parentDone = gate();
    const order: string[] = [];
    let parentId = '';
    f.outbox.register('facility', 'dhis2', async (job, _journal, ctx) => {
      const name = (job.payload as { name: string }).name;
      if (name === 'district') await parentDone.opened;
      if (name === 'post') {
        await ctx.awaitJob!(parentId, 5_000);
        order.push(`post after ${(await f.store.getJob(parentId))!.status}`);
      }
      order.push(name);
      return { system: 'dhis2', ids: { n: name } };
    });
    const district = f.outbox.acceptWrite({
      flow: 'facility',
      system: 'dhis2',
      idempotencyKey: 'D',
      payload: { name: 'district' },
    });
    parentId = await jobOfKey(f.store, 'D');
    const post = f.outbox.acceptWrite({
      flow: 'facility',
      system: 'dhis2',
      idempotencyKey: 'P',
      payload: { name: 'post' },
    });
    t.ok(await waitFor(async () => freeSlots(f.outbox, 'dhis2') === 1), 'the waiting post holds no slot');

    const other = await f.outbox.acceptWrite({
      flow: 'facility',
      system: 'dhis2',
      idempotencyKey: 'O',
      payload: { name: 'other' },
    });
    t.equal(other.kind, 'done', 'another write to DHIS2 is delivered while the district is under way');
    t.same(order, ['other']);

    parentDone.open();
    t.equal((await district).kind, 'done');
    t.equal((await post).kind, 'done', 'the post is delivered in its own answer, after the district');
    t.same(order, ['other', 'district', 'post after done', 'post']);
    t.equal(freeSlots(f.outbox, 'dhis2'), 2, 'every slot is back');
  });

  t.test(
    `${engine.name}: a job under way on another instance is not waited for here`,
    { skip: engine.skip },
    async (t) => {
      const f = await outboxFixture(t, engine, { options: { concurrency: { default: 2 } } });
      // the district is delivered by another instance sharing the store: only its row tells
      const elsewhere = new Outbox({ store: f.store, options: { attemptTimeoutMs: 5_000, leaseMs: 10_000 } });
      const parentDone = gate();
      elsewhere.register('facility', 'dhis2', async () => {
        await parentDone.opened;
        return { system: 'dhis2', ids: { n: 'district' } };
      });
      const district = await elsewhere.acceptWrite({
        flow: 'facility',
        system: 'dhis2',
        idempotencyKey: 'D',
        payload: { name: 'district' },
        deadlineMs: 0,
      });
      t.teardown(async () => {
        parentDone.open();
        await elsewhere.idle();
      });
      let waited: boolean | undefined;
      // the district's row read while the post waits: counted, not timed (a wait that polled
      // its row until the bound would read it every duplicatePollMs)
      let reads = 0;
      let counting = false;
      const getJob = f.store.getJob.bind(f.store);
      f.store.getJob = async (id) => {
        if (counting && id === district.jobId) reads++;
        return getJob(id);
      };
      f.outbox.register('facility', 'dhis2', async (_job, _journal, ctx) => {
        counting = true;
        waited = await ctx.awaitJob!(district.jobId, 3_000);
        counting = false;
        return { system: 'dhis2', ids: { n: 'post' } };
      });
      await f.outbox.acceptWrite({ flow: 'facility', system: 'dhis2', idempotencyKey: 'P', payload: { name: 'post' } });
      // a wait that ran out its bound answers true: false is the answer "not waited for here"
      t.equal(waited, false, 'told at once that it is not waited for here');
      t.equal(reads, 1, 'its row read once, not for the whole wait');
      t.equal(freeSlots(f.outbox, 'dhis2'), 2, 'the slot is back');
    },
  );

  t.test(`${engine.name}: an attempt abandoned while it waits takes no slot`, { skip: engine.skip }, async (t) => {
    const f = await outboxFixture(t, engine, {
      options: { concurrency: { default: 2 }, attemptTimeoutMs: 1_000, leaseMs: 4_000, settleMs: 10 },
    });
    const parentDone = gate();
    const districtRunning = gate();
    let districtId = '';
    f.outbox.register('facility', 'dhis2', async (job, _journal, ctx) => {
      if ((job.payload as { name: string }).name === 'district') {
        districtId = job.id;
        districtRunning.open();
        await parentDone.opened;
      } else {
        await districtRunning.opened;
        await ctx.awaitJob!(districtId, 5_000);
      }
      return { system: 'dhis2', ids: { n: 'x' } };
    });
    // the post's attempt starts first, so it times out while the district's is still running
    const post = f.outbox.acceptWrite({
      flow: 'facility',
      system: 'dhis2',
      idempotencyKey: 'P',
      payload: { name: 'post' },
      deadlineMs: 3_000,
    });
    await new Promise((r) => setTimeout(r, 400));
    void f.outbox.acceptWrite({
      flow: 'facility',
      system: 'dhis2',
      idempotencyKey: 'D',
      payload: { name: 'district' },
      deadlineMs: 0,
    });
    t.teardown(() => parentDone.open());
    const answer = await post;
    t.equal(answer.kind, 'queued', `the post ran out of time waiting: ${JSON.stringify(answer)}`);
    t.equal(freeSlots(f.outbox, 'dhis2'), 1, "only the district's slot is taken while the abandoned wait goes on");
    parentDone.open();
    await f.outbox.idle();
    await new Promise((r) => setTimeout(r, 300));
    t.equal(freeSlots(f.outbox, 'dhis2'), 2, 'no slot leaked or taken twice once that wait ends');
  });

  t.test(
    `${engine.name}: a slot not had back after the wait: due again, uncharged`,
    { skip: engine.skip },
    async (t) => {
      const f = await outboxFixture(t, engine, {
        options: { concurrency: { default: 2 }, attemptTimeoutMs: 1_000, leaseMs: 4_000 },
      });
      const parentDone = gate();
      const othersDone = gate();
      let districtId = '';
      f.outbox.register('facility', 'dhis2', async (job, _journal, ctx) => {
        const name = (job.payload as { name: string }).name;
        if (name === 'district') await parentDone.opened;
        else if (name === 'post') await ctx.awaitJob!(districtId, 5_000);
        else await othersDone.opened;
        return { system: 'dhis2', ids: { n: name } };
      });
      t.teardown(async () => {
        parentDone.open();
        othersDone.open();
        await f.outbox.idle();
      });
      const accept = (key: string, name: string) =>
        f.outbox.acceptWrite({ flow: 'facility', system: 'dhis2', idempotencyKey: key, payload: { name } });
      void accept('D', 'district');
      districtId = await jobOfKey(f.store, 'D');
      const post = accept('P', 'post');
      await waitFor(async () => freeSlots(f.outbox, 'dhis2') === 1);
      // while the post waits, one write takes its slot and another queues for the district's
      void accept('O1', 'other');
      void accept('O2', 'other');
      await waitFor(async () => freeSlots(f.outbox, 'dhis2') === 0);
      await new Promise((r) => setTimeout(r, 100));
      parentDone.open();
      const answer = await post;
      t.match(answer, { kind: 'queued', status: 'pending', reason: /busy/ }, 'queued, not failed');
      const job = await f.store.getJob(answer.jobId);
      t.match(job, { status: 'pending', attempts: 0 }, 'the attempt is not charged');
      t.ok(job!.nextAttemptAt <= Date.now() + 1_500, 'due again at once');
      othersDone.open();
      await f.outbox.idle();
      t.equal(freeSlots(f.outbox, 'dhis2'), 2, 'the slots are back');
    },
  );
}
