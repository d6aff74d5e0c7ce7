/**
 * Two mediator instances share one PostgreSQL outbox, their clocks apart (each may be up to 5 s
 * off the server's, store/index.ts: 10 s off each other). A job's created_at is the clock of the
 * instance that accepted it, and a delivery's newest draft was the one created last by those
 * stamps alone (store/numbered-keys.ts): draft 1 accepted by the instance ahead, draft 2 a second
 * later by the one behind, read draft 1 as the newest. The app then counted back to draft 1's
 * content: answered as draft 1, already delivered, nothing sent, while OpenLMIS held draft 2 (an
 * accepted write lost); and a search read the delivery through draft 1. A draft numbered higher
 * (numbers are given in the order drafts are saved: one past the highest) within that skew of the
 * later stamp is the newer. Seeded as each instance stamps its jobs, on both engines.
 */
import t from 'tap';
import type { Delivery } from '../../../src/domain/index.js';
import { canonicalJson } from '../../../src/domain/ids.js';
import { draftJobs, draftMark, numberedDraft } from '../../../src/routing/delivery-drafts.js';
import type { Store } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const APP = 'https://app.example.org/deliveries';
const KEY = `delivery|${APP}|DL-SKEW-1`;
const RESULT = { system: 'openlmis', ids: { delivery: 'pod-1' } };
/** Instance A's clock is 3 s ahead of the server's, B's 3 s behind: within what start-up allows. */
const AHEAD = 3_000;
const BEHIND = -3_000;

/** The delivery's draft counting `accepted` packs. */
function draft(accepted: number): Delivery {
  return {
    identifier: { system: APP, value: 'DL-SKEW-1' },
    status: 'in-progress',
    destination: { id: 'facility-1' },
    lines: [{ product: { system: 'https://www.gs1.org/gtin', code: '10860012300034' }, quantityAccepted: accepted }],
  } as unknown as Delivery;
}

/** Draft `n` counting `accepted`, accepted at real time `at` by an instance whose clock is `skew` off, delivered. */
async function saved(store: Store, d: { n: number; at: number; skew: number; accepted: number }): Promise<void> {
  const stamp = d.at + d.skew;
  const id = `d-${d.n}`;
  const [r] = await store.recordWrites(
    [
      {
        id,
        flow: 'delivery',
        system: 'openlmis',
        idempotencyKey: KEY + draftMark(d.n),
        payloadHash: `hash-${id}`,
        payload: { ...draft(d.accepted), ...(d.n > 1 ? { draft: d.n } : {}) },
        status: 'in-flight',
        attempts: 1,
        nextAttemptAt: stamp + 3_600_000,
        leaseOwner: 'w1',
        leaseUntil: stamp + 3_600_000,
        createdAt: stamp,
      },
    ],
    [],
  );
  if (!r.created) throw new Error(`draft ${d.n} not recorded`);
  await store.finishJob(id, 'w1', { status: 'done', result: RESULT }, stamp + 1);
}

const same = (held: Delivery, sent: Delivery) => canonicalJson(held) === canonicalJson(sent);

for (const engine of engineCases()) {
  t.test(`draft 2 accepted by the instance behind (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const numberedUnder = (mark: string) => store.findNumberedJobs(KEY + mark);
    await saved(store, { n: 1, at: 100_000, skew: AHEAD, accepted: 1 });
    await saved(store, { n: 2, at: 101_000, skew: BEHIND, accepted: 2 });

    const found = await store.findNumberedJobs(KEY + draftMark(1));
    t.same({ newest: found?.newest?.id, highest: found?.highest }, { newest: 'd-2', highest: 2 }, 'draft 2 the newest');
    t.equal(
      (await numberedDraft(draft(1), numberedUnder, same)).draft,
      3,
      "counted back to draft 1's content: a new draft, sent, not answered as draft 1",
    );
    t.equal((await numberedDraft(draft(2), numberedUnder, same)).draft, 2, 'draft 2 sent again is draft 2');
    t.same(
      (await draftJobs((mark) => store.findJobsByKey(KEY + mark), numberedUnder)).map((j) => j.id),
      ['d-2'],
      'a search reads the delivery through draft 2',
    );
  });
}
