/**
 * A delivery saved as a draft more than 1,000 times (routing/delivery-drafts.ts). The look-up of
 * its last draft stopped at number 1,000: draft 1,030 sent again was compared with draft 1,000,
 * and a new draft was told to wait for draft 1,000's job (or, once that one was delivered, took
 * number 1,001, held by another draft: refused for ever). Now the last draft is found whatever its
 * number, in one store query (Store.findNumberedJobs; without the delivery's key, a search by its
 * number in any system, one such query per key of the number), not one per draft on every save. The drafts
 * are seeded directly in the store (one transaction), on both engines.
 */
import t from 'tap';
import type { Delivery } from '../../../src/domain/index.js';
import { canonicalJson } from '../../../src/domain/ids.js';
import { draftJobs, draftMark, numberedDraft } from '../../../src/routing/delivery-drafts.js';
import { DELIVERIES } from '../../../src/routing/flows.js';
import { jobsWrittenUnder } from '../../../src/routing/jobs-written-under.js';
import type { NewJob, Store } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const KEY = 'delivery|https://app.example.org/deliveries|DL-MANY-1';
const DRAFTS = 1030;

/** The delivery's draft counting `accepted` packs. */
function draft(accepted: number): Delivery {
  return {
    identifier: { system: 'https://app.example.org/deliveries', value: 'DL-MANY-1' },
    status: 'in-progress',
    destination: { id: 'facility-1' },
    lines: [{ product: { system: 'https://www.gs1.org/gtin', code: '10860012300034' }, quantityAccepted: accepted }],
  } as unknown as Delivery;
}

/** Drafts 1..DRAFTS of the delivery, each counting its own number of packs, all still waiting. */
async function seedDrafts(store: Store): Promise<void> {
  const jobs: NewJob[] = [];
  for (let n = 1; n <= DRAFTS; n++)
    jobs.push({
      id: `draft-job-${n}`,
      flow: 'delivery',
      system: 'openlmis',
      idempotencyKey: KEY + draftMark(n),
      payloadHash: `hash-${n}`,
      payload: { ...draft(n), ...(n > 1 ? { draft: n } : {}) },
      status: 'pending',
      attempts: 0,
      nextAttemptAt: Date.now() + 3_600_000,
      createdAt: Date.now(),
    });
  await store.recordWrites(jobs, []);
}

const same = (held: Delivery, sent: Delivery) => canonicalJson(held) === canonicalJson(sent);

for (const engine of engineCases()) {
  t.test(
    `the last of ${DRAFTS} drafts is found, in few look-ups (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      await seedDrafts(store);
      let lookups = 0;
      const jobsUnder = (mark: string) => {
        lookups++;
        return store.findJobsByKey(KEY + mark);
      };
      const numberedUnder = (mark: string) => {
        lookups++;
        return store.findNumberedJobs(KEY + mark);
      };

      const again = await numberedDraft(draft(DRAFTS), numberedUnder, same);
      t.equal(again.draft, DRAFTS, 'the last draft sent again is that draft');
      t.equal(lookups, 1, 'found in one look-up, not one per draft');

      await t.rejects(
        numberedDraft(draft(7), numberedUnder, same),
        { status: 409, message: new RegExp(`outbox job draft-job-${DRAFTS}\\)`) },
        'a new draft waits for the last one, named',
      );

      const found = await draftJobs(jobsUnder, numberedUnder);
      t.same(
        found.map((j) => j.id),
        [`draft-job-${DRAFTS}`],
        'a search reads the delivery through its last draft',
      );

      // without a system: the keys of the number found by its drafts (one range) and its completion
      lookups = 0;
      const counted: Parameters<typeof jobsWrittenUnder>[0] = {
        findJobsByKey: (k) => (lookups++, store.findJobsByKey(k)),
        findJobsByKeyValue: (kind, value) => (lookups++, store.findJobsByKeyValue(kind, value)),
        findKeysOfMarkedValue: (kind, value, mark) => (lookups++, store.findKeysOfMarkedValue(kind, value, mark)),
        findNumberedJobs: (k) => (lookups++, store.findNumberedJobs(k)),
      };
      const anySystem = await jobsWrittenUnder(counted, DELIVERIES.writtenUnder, { value: 'DL-MANY-1' });
      t.same(
        anySystem.map((j) => j.id),
        [`draft-job-${DRAFTS}`],
        'a search by its number without a system reads it through its last draft',
      );
      t.ok(lookups <= 5, `in a few look-ups (${lookups}), not one per draft`);
    },
  );
}
