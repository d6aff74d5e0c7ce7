/**
 * A delivery saved as a draft more than 1,000 times (routing/delivery-drafts.ts). The look-up of
 * its last draft stopped at number 1,000: draft 1,030 sent again was compared with draft 1,000,
 * and a new draft was told to wait for draft 1,000's job (or, once that one was delivered, took
 * number 1,001, held by another draft: refused for ever). Now the last draft is found whatever its
 * number, in one store query (Store.findNumberedJobs; without the delivery's key, a search by its
 * number in any system, in about 2·log2(n) look-ups), not one per draft on every save. The drafts
 * are seeded directly in the store (one transaction), on both engines.
 */
import t from 'tap';
import type { Delivery } from '../../../src/domain/index.js';
import { canonicalJson } from '../../../src/domain/ids.js';
import {
  draftJobs,
  draftMark,
  lastDraft,
  lastDraftNumber,
  numberedDraft,
} from '../../../src/routing/delivery-drafts.js';
import type { NewJob, OutboxJob, Store } from '../../../src/store/types.js';
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
    },
  );
}

t.test('the last draft number, for every count up to 70', async (t) => {
  for (let count = 0; count <= 70; count++) {
    const asked: number[] = [];
    const n = await lastDraftNumber(async (k) => {
      asked.push(k);
      return k <= count;
    });
    t.equal(n, count, `${count} drafts`);
    t.ok(asked.length <= 2 * Math.ceil(Math.log2(count + 2)) + 1, `${count}: ${asked.length} look-ups`);
  }
});

/** Draft jobs by number, each stamped as given: `jobsOf(n)` as the store answers. */
function draftsStamped(stamps: Map<number, number>): (n: number) => Promise<OutboxJob[]> {
  return async (n) => {
    const at = stamps.get(n);
    return at !== undefined ? [{ id: `d${n}`, createdAt: at, status: 'done' } as unknown as OutboxJob] : [];
  };
}

t.test('drafts numbered anew after retention deleted the first: the newest run is the last', async (t) => {
  // drafts 1-3 deleted after outbox.retentionDays, 4-40 kept; then drafts 1 and 2 saved anew
  const stamps = new Map<number, number>();
  for (let n = 4; n <= 40; n++) stamps.set(n, 1_000 + n);
  stamps.set(1, 900_000).set(2, 900_001);
  const last = await lastDraft(draftsStamped(stamps));
  t.equal(last.n, 2, 'the draft saved last, not the older draft 40');
  t.equal(last.jobs[0].id, 'd2');
});

t.test('a draft stamped before the one before it (clocks apart) is still the last', async (t) => {
  const stamps = new Map([
    [1, 5_000],
    [2, 5_100],
    [3, 4_900],
  ]);
  t.equal((await lastDraft(draftsStamped(stamps))).n, 3);
  t.equal(
    (
      await lastDraft(
        draftsStamped(
          new Map([
            [1, 5_000],
            [2, 4_000],
          ]),
        ),
      )
    ).n,
    2,
  );
});
