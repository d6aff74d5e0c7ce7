/**
 * The highest number in use under a delivery's draft keys counts a well-formed number of 1 to 15
 * digits (store/numbered-keys.ts), as another delivery's key can fall under them (identifier
 * values are not escaped in keys): a delivery numbered `DL-1|in-progress:999999999999999` holds
 * DL-1's draft key of that number, so DL-1's next draft is 1000000000000000, 16 digits, which that
 * count leaves out. The draft after it then took 1000000000000000 again, its own newest draft's
 * number: refused as "saved meanwhile" on every try. A delivery's own newest draft's number is in
 * use whatever its length (routing/delivery-drafts.ts newestDraft). Real store, both engines.
 */
import t from 'tap';
import { canonicalJson } from '../../../src/domain/ids.js';
import type { Delivery } from '../../../src/domain/index.js';
import { draftMark, numberedDraft } from '../../../src/routing/delivery-drafts.js';
import type { Store } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { deliveredAs, endedJob } from './ended-delivery-job.js';

const APP = 'https://app.example.org/deliveries';
const KEY = `delivery|${APP}|DL-1`;
const LONG = 999_999_999_999_999;

const draft = (value: string, counted: number, n?: number): Delivery => ({
  id: value,
  identifier: { system: APP, value },
  status: 'in-progress',
  destination: { id: 'fac-1' },
  lines: [{ product: { system: 'urn:p', code: 'P1' }, quantityAccepted: { value: counted, unit: 'dispensing-unit' } }],
  ...(n ? { draft: n } : {}),
});

/** Job `id` writing `d` under `key`, delivered at `at` (as upstream delivery `id`). */
const delivered = (store: Store, id: string, key: string, d: Delivery, at: number) =>
  endedJob(store, id, key, d, at, deliveredAs(id));

for (const engine of engineCases())
  t.test(`${engine.name}: a draft numbered past 15 digits is in use`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const other = `DL-1${draftMark(LONG)}`;
    await delivered(store, 'other', KEY + draftMark(LONG), { ...draft(other, 1), status: 'completed' }, 1_000);
    const under = (mark: string) => store.findNumberedJobs(KEY + mark, { system: APP, value: 'DL-1' });
    // compared as the outbox compares (jsonb gives its keys back in its own order)
    const same = (held: Delivery, sent: Delivery) => canonicalJson(held.lines) === canonicalJson(sent.lines);

    const first = await numberedDraft(draft('DL-1', 5), under, same);
    t.equal(first.draft, LONG + 1, "DL-1's first draft past the other delivery's number");
    await delivered(store, 'draft-a', KEY + draftMark(first.draft), first, 2_000);

    const next = await numberedDraft(draft('DL-1', 6), under, same);
    t.equal(next.draft, LONG + 2, 'the next one past it, not its number again');
    const again = await numberedDraft(draft('DL-1', 5), under, same);
    t.equal(again.draft, LONG + 1, 'the newest sent again is that draft');
  });
