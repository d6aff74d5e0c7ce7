/**
 * A delivery's drafts whose numbers have holes or were reused (routing/delivery-drafts.ts). The
 * last draft was searched by its number (doubling, then halving "is draft n held"), a question
 * that is not monotone once retention deleted drafts 1-3 (numbered anew below the 4-40 kept), an
 * operator dropped draft 8 of 1-10, or draft 8's key was taken again: the search landed on an
 * older draft, a save equal to it was answered as that old write and never sent (an accepted write
 * lost), and "an earlier draft is waiting" looked at the wrong job. Now the newest draft (created
 * last) is read in one store query, and a new draft takes one past the highest number in use. A
 * search by the delivery's number without a system (`identifier=DL-1`, any system) still probed
 * draft numbers and read the delivery through an older draft: it reads the newest too, under each
 * key of the number (routing/jobs-written-under.ts). Seeded directly in the store, on both engines.
 */
import t from 'tap';
import type { Delivery } from '../../../src/domain/index.js';
import { canonicalJson } from '../../../src/domain/ids.js';
import { draftJobs, draftMark, numberedDraft } from '../../../src/routing/delivery-drafts.js';
import { DELIVERIES } from '../../../src/routing/flows.js';
import { jobsWrittenUnder } from '../../../src/routing/jobs-written-under.js';
import type { Store } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const KEY = 'delivery|https://app.example.org/deliveries|DL-HOLES-1';
const RESULT = { system: 'openlmis', ids: { delivery: 'pod-1' } };
const ERROR = { name: 'UpstreamError', status: 400, issues: [{ code: 'invalid', diagnostics: 'refused' }] };

/** The delivery's draft counting `accepted` packs. */
function draft(accepted: number): Delivery {
  return {
    identifier: { system: 'https://app.example.org/deliveries', value: 'DL-HOLES-1' },
    status: 'in-progress',
    destination: { id: 'facility-1' },
    lines: [{ product: { system: 'https://www.gs1.org/gtin', code: '10860012300034' }, quantityAccepted: accepted }],
  } as unknown as Delivery;
}

/**
 * Draft number `n` recorded at `at` (epoch ms), counting `accepted` packs, under job `id` (and
 * the delivery's `key`, KEY unless given); ended as `end` (done, or refused: rejected) unless
 * still pending.
 */
async function seed(
  store: Store,
  d: { n: number; at: number; accepted: number; id: string; end?: 'done' | 'rejected'; key?: string; to?: string },
): Promise<void> {
  const [r] = await store.recordWrites(
    [
      {
        id: d.id,
        flow: 'delivery',
        system: d.to ?? 'openlmis',
        // a secondary target's job (`to`) is under the key and its system (routed-flow acceptRequests)
        idempotencyKey: (d.key ?? KEY) + draftMark(d.n) + (d.to ? `|${d.to}` : ''),
        payloadHash: `hash-${d.id}`,
        // a job's payload carries the identifier its key was made of (the other app's, under its key)
        payload: { ...draft(d.accepted), identifier: identifierOf(d.key ?? KEY), ...(d.n > 1 ? { draft: d.n } : {}) },
        status: d.end ? 'in-flight' : 'pending',
        attempts: 1,
        nextAttemptAt: d.at + 3_600_000,
        ...(d.end ? { leaseOwner: 'w1', leaseUntil: d.at + 3_600_000 } : {}),
        createdAt: d.at,
      },
    ],
    [],
  );
  if (!r.created) throw new Error(`draft ${d.n} (${d.id}) not recorded`);
  if (d.end === 'done') await store.finishJob(d.id, 'w1', { status: 'done', result: RESULT }, d.at + 1);
  if (d.end === 'rejected') await store.finishJob(d.id, 'w1', { status: 'rejected', error: ERROR }, d.at + 1);
}

/** The identifier of DL-HOLES-1 in the system a key `delivery|<system>|DL-HOLES-1` names. */
function identifierOf(key: string): Delivery['identifier'] {
  return { system: key.slice('delivery|'.length, -'|DL-HOLES-1'.length), value: 'DL-HOLES-1' };
}

const same = (held: Delivery, sent: Delivery) => canonicalJson(held) === canonicalJson(sent);
const numberedUnder = (store: Store) => (mark: string) => store.findNumberedJobs(KEY + mark);
const jobsUnder = (store: Store) => (mark: string) => store.findJobsByKey(KEY + mark);
/** The jobs a search by the delivery's number alone (`identifier=DL-HOLES-1`, any system) reads. */
const anySystem = async (store: Store) =>
  (await jobsWrittenUnder(store, DELIVERIES.writtenUnder, { value: 'DL-HOLES-1' })).map((j) => j.id);

for (const engine of engineCases()) {
  t.test(`drafts numbered anew after retention deleted 1-3 (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    // 4-40 kept from long ago (1-3 deleted by retention), then drafts 1-3 of the delivery saved anew
    for (let n = 4; n <= 40; n++)
      await seed(store, { n, at: 1_000 + n, accepted: 100 + n, id: `old-${n}`, end: 'done' });
    for (let n = 1; n <= 3; n++) await seed(store, { n, at: 900_000 + n, accepted: n, id: `new-${n}`, end: 'done' });

    t.equal((await numberedDraft(draft(3), numberedUnder(store), same)).draft, 3, 'draft 3 sent again is draft 3');
    t.equal(
      (await numberedDraft(draft(140), numberedUnder(store), same)).draft,
      41,
      "counted back to old draft 40's content: a new draft, numbered past every number in use",
    );
    t.same(
      (await draftJobs(jobsUnder(store), numberedUnder(store))).map((j) => j.id),
      ['new-3'],
      'a search reads the delivery through the newest draft',
    );
    t.same(await anySystem(store), ['new-3'], 'so does a search by its number without a system');
  });

  t.test(`an operator dropped refused draft 8 of 1-10 (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    for (let n = 1; n <= 10; n++)
      await seed(store, { n, at: 1_000 * n, accepted: n, id: `d-${n}`, end: n === 8 ? 'rejected' : 'done' });
    t.ok(await store.dropJob('d-8', { actor: 'op', action: 'outbox.drop', subject: 'd-8' }), 'draft 8 dropped');

    t.equal((await numberedDraft(draft(10), numberedUnder(store), same)).draft, 10, 'draft 10 sent again is draft 10');
    t.equal(
      (await numberedDraft(draft(7), numberedUnder(store), same)).draft,
      11,
      "counted back to draft 7's content: a new draft, not answered as draft 7",
    );

    t.same(await anySystem(store), ['d-10'], 'a search by its number without a system reads it through draft 10');

    await seed(store, { n: 11, at: 20_000, accepted: 11, id: 'd-11' });
    t.same(await anySystem(store), ['d-11'], 'the queued draft 11 found by its number without a system');
    await t.rejects(
      numberedDraft(draft(12), numberedUnder(store), same),
      { status: 409, message: /outbox job d-11\)/ },
      'a new draft waits for the newest one, still pending, named',
    );
  });

  t.test(`draft 8's number taken again (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    for (let n = 1; n <= 10; n++)
      await seed(store, { n, at: 1_000 * n, accepted: n, id: `d-${n}`, end: n === 8 ? 'rejected' : 'done' });
    // draft 8 refused, its key free again: taken by a later draft of other content
    await seed(store, { n: 8, at: 50_000, accepted: 80, id: 'd-8-again', end: 'done' });

    t.equal((await numberedDraft(draft(80), numberedUnder(store), same)).draft, 8, 'the newest, draft 8, sent again');
    t.equal(
      (await numberedDraft(draft(10), numberedUnder(store), same)).draft,
      11,
      "counted back to draft 10's content: a new draft, not answered as draft 10",
    );
    t.same(
      (await draftJobs(jobsUnder(store), numberedUnder(store))).map((j) => j.id),
      ['d-8', 'd-8-again'],
      "a search reads the delivery through draft 8's jobs",
    );
    t.same(await anySystem(store), ['d-8', 'd-8-again'], 'so does a search by its number without a system');
  });

  t.test(
    `one number in two systems, one's first draft deleted, without a system (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const other = 'delivery|https://other-app.example.org/deliveries|DL-HOLES-1';
      for (let n = 1; n <= 2; n++) await seed(store, { n, at: 1_000 * n, accepted: n, id: `other-${n}`, key: other });
      // KEY's draft 1 deleted by retention, drafts 2-3 kept: its key is known by its completion
      for (let n = 2; n <= 3; n++) await seed(store, { n, at: 5_000 * n, accepted: n, id: `mine-${n}`, end: 'done' });
      const [done] = await store.recordWrites(
        [
          {
            id: 'mine-done',
            flow: 'delivery',
            system: 'openlmis',
            idempotencyKey: KEY,
            payloadHash: 'hash-mine-done',
            payload: { ...draft(3), status: 'completed' },
            status: 'pending',
            attempts: 0,
            nextAttemptAt: 20_000,
            createdAt: 20_000,
          },
        ],
        [],
      );
      t.ok(done.created, 'the completion recorded');
      t.same(
        await anySystem(store),
        ['mine-done', 'mine-3', 'other-2'],
        "the completion, and each key's newest draft: the other app's delivery of the number too",
      );
    },
  );

  t.test(
    `two apps' deliveries of one number, each read through its own newest draft (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const other = 'delivery|https://other-app.example.org/deliveries|DL-HOLES-1';
      // the other app's drafts 1-4, the last queued; this app's 1-2 saved after them
      for (let n = 1; n <= 4; n++)
        await seed(store, {
          n,
          at: 1_000 * n,
          accepted: n,
          id: `other-${n}`,
          key: other,
          end: n < 4 ? 'done' : undefined,
        });
      for (let n = 1; n <= 2; n++) await seed(store, { n, at: 10_000 + n, accepted: n, id: `mine-${n}`, end: 'done' });
      t.same(
        await anySystem(store),
        ['mine-2', 'other-4'],
        "each delivery through its newest draft, the other's queued draft 4 (not its old draft 2)",
      );
    },
  );

  t.test(`drafts fanned out to a secondary system (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    // each draft is a job to the system of record and one to the secondary target (dhis2), accepted together
    for (let n = 1; n <= 2; n++) {
      await seed(store, { n, at: 1_000 * n, accepted: n, id: `d-${n}`, end: 'done' });
      await seed(store, { n, at: 1_000 * n, accepted: n, id: `d-${n}-dhis2`, end: 'done', to: 'dhis2' });
    }
    const found = await store.findNumberedJobs(KEY + draftMark(1));
    t.same({ newest: found?.newest?.id, highest: found?.highest }, { newest: 'd-2', highest: 2 }, "the drafts' own");
    t.equal((await numberedDraft(draft(2), numberedUnder(store), same)).draft, 2, 'draft 2 sent again is draft 2');
    t.equal(
      (await numberedDraft(draft(3), numberedUnder(store), same)).draft,
      3,
      "a new draft is draft 3, not draft 2's number again (taken: refused for ever)",
    );
    t.same(
      (await draftJobs(jobsUnder(store), numberedUnder(store))).map((j) => j.id),
      ['d-2'],
      'a search: draft 2',
    );
  });

  t.test(`LIKE wildcards in a delivery's number match no other (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const key = 'delivery|https://app.example.org/deliveries|DL_%';
    const other = 'delivery|https://app.example.org/deliveries|DLx-9';
    const job = (id: string, k: string, at: number) => ({
      id,
      flow: 'delivery',
      system: 'openlmis',
      idempotencyKey: k,
      payloadHash: id,
      payload: draft(1),
      status: 'pending' as const,
      attempts: 0,
      nextAttemptAt: at,
      createdAt: at,
    });
    await store.recordWrites(
      [
        job('mine-1', `${key}${draftMark(1)}`, 1_000),
        job('mine-2', `${key}${draftMark(2)}`, 2_000),
        job('other-30', `${other}${draftMark(30)}`, 3_000),
        job('sibling', `${key}${draftMark(1)}-x:99`, 4_000),
      ],
      [],
    );
    const found = await store.findNumberedJobs(key + draftMark(1));
    t.equal(found?.newest?.id, 'mine-2');
    t.equal(found?.highest, 2);
    t.equal(await store.findNumberedJobs(`${key}|in-progress-none`), undefined, 'none under a key no job has');
  });
}
