/**
 * later-senders.ts: a write that finds its operation completed after sending waits only for
 * another delivery's write that sent later, never for itself, whether its job is the delivery's
 * own (OpenMRS the target) or a secondary target's (the delivery's key for OpenMRS).
 */
import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { DELIVERIES, secondaryKey } from '../../../../src/routing/flows.js';
import type { JournalStep, OutboxJob } from '../../../../src/store/types.js';
import { JOURNAL_READS, laterSender, type SenderStore } from '../../../../src/systems/openmrs/later-senders.js';

const OP = 'op-uuid-1';
const deliveryOf = (value: string) =>
  ({ identifier: { system: 'urn:client', value }, lines: [] }) as unknown as Delivery;

/**
 * A store holding jobs still to run and their journals: each chose OP and marked its sending at
 * `sentAt`; each writes delivery `of` (the job's id as its number unless given).
 */
function storeOf(jobs: { id: string; key: string; sentAt: number; of?: Delivery }[]): SenderStore {
  const held = jobs.map(
    (j) =>
      ({
        id: j.id,
        system: 'openmrs',
        flow: DELIVERIES.outboxFlow,
        status: 'in-flight',
        idempotencyKey: j.key,
        payload: j.of ?? deliveryOf(j.id),
      }) as OutboxJob,
  );
  const steps = (job: { sentAt: number }): JournalStep[] =>
    [
      { step: 'find-operation', result: OP, completedAt: 1 },
      { step: 'find-operation-marks', result: true, completedAt: 1 },
      { step: 'complete-transfer-sent', result: true, completedAt: job.sentAt },
    ] as JournalStep[];
  return {
    findJobsByKey: async (key: string) => held.filter((j) => j.idempotencyKey === key),
    listJobs: async (f: { status?: string; offset?: number }) =>
      f.offset ? [] : held.filter((j) => j.status === f.status),
    listSteps: async (id: string) => steps(jobs.find((j) => j.id === id)!),
  } as unknown as SenderStore;
}

t.test("a secondary target's job never waits on itself", async (t) => {
  const dl1 = deliveryOf('DL-1');
  const own = secondaryKey(DELIVERIES.key(dl1)!, 'openmrs');
  t.notOk(
    await laterSender(storeOf([{ id: 'job-1', key: own, sentAt: 2, of: dl1 }]), OP, dl1),
    'alone: no later sender',
  );
  const withLater = storeOf([
    { id: 'job-1', key: own, sentAt: 2, of: dl1 },
    { id: 'job-2', key: DELIVERIES.key(deliveryOf('DL-2'))!, sentAt: 3 },
  ]);
  t.ok(await laterSender(withLater, OP, dl1), "another delivery's later sending still counts");
});

t.test("the delivery's own job (OpenMRS the target) neither", async (t) => {
  const dl1 = deliveryOf('DL-1');
  t.notOk(await laterSender(storeOf([{ id: 'job-1', key: DELIVERIES.key(dl1)!, sentAt: 2, of: dl1 }]), OP, dl1));
});

t.test(
  'the journals of many waiting deliveries are read a few at a time, and a later sender among them is found',
  async (t) => {
    const dl1 = deliveryOf('DL-1');
    // 40 other deliveries waiting on other operations' sends, before this one's: none counts
    const jobs = [
      { id: 'job-own', key: DELIVERIES.key(dl1)!, sentAt: 100, of: dl1 },
      ...Array.from({ length: 40 }, (_, i) => ({ id: `job-${i}`, key: `other-${i}`, sentAt: 50 })),
    ];
    let inFlight = 0;
    let most = 0;
    const counting = (store: SenderStore): SenderStore => ({
      ...store,
      listSteps: async (id: string) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setImmediate(r)); // a round trip to the database
        inFlight--;
        return store.listSteps(id);
      },
    });
    t.notOk(await laterSender(counting(storeOf(jobs)), OP, dl1), 'all sent before this one: no later sender');
    t.ok(most > 1, `read concurrently (${most} at once)`);
    t.ok(most <= JOURNAL_READS, `never more than ${JOURNAL_READS} at once (${most})`);
    const withLater = [...jobs, { id: 'job-late', key: 'other-late', sentAt: 200 }];
    t.ok(await laterSender(counting(storeOf(withLater)), OP, dl1), 'the one that sent later is found');
  },
);
