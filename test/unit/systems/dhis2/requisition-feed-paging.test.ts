/**
 * The RTS requisition feed reads completed events oldest update first. It paged by page number
 * over a fixed `updatedAfter`: an event of a page already read that a clerk edits meanwhile
 * moves to the end (its updatedAt is now the newest), every later event moves up one place, and
 * the first event of the next page fell into the page already read. The bridge then set its mark
 * past it: that requisition was never fulfilled (found by helper D). The feed now pages by
 * `updatedAfter` from the last event it read (keyset), so a move cannot hide an event.
 */
import t from 'tap';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { createRequisitionFeed, parseRequisitionProgram } from '../../../../src/systems/dhis2/requisitions.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { REQUISITION, REQUISITION_DATA_ELEMENTS } from '../../../../sandbox/dhis2/index.js';
import { startHarness } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rig(t: { teardown(fn: () => Promise<void>): void }) {
  const h = await startHarness({ version: '2.41.3' });
  t.teardown(h.close);
  await h.client.version();
  const ous = h.sandbox.state.summary().orgUnits;
  const program = parseRequisitionProgram(REQUISITION.program, REQUISITION.stage, REQUISITION_DATA_ELEMENTS);
  const products = loadDhis2Products({});
  const feed = createRequisitionFeed({
    client: h.client,
    reader: createOrgUnitReader(h.client),
    products: () => products,
    program: () => program,
  });
  const event = (n: number, qty: string) => ({
    event: `ReqPage${String(n).padStart(4, '0')}`,
    program: REQUISITION.program,
    programStage: REQUISITION.stage,
    orgUnit: ous['LK-HC-101'],
    occurredAt: '2024-06-03T08:00:00.000',
    status: 'COMPLETED',
    dataValues: [{ dataElement: REQUISITION.quantities.EM_ORS, value: qty }],
  });
  return { h, feed, event };
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `ReqPage${String(i + 1).padStart(4, '0')}`);

t.test('an event edited while the feed pages is not skipped', async (t) => {
  const { h, feed, event } = await rig(t);
  // seven events, each updated at its own instant (oldest first: 1 … 7)
  for (let n = 1; n <= 7; n++) {
    await postTrackerEvents(h.client, [event(n, '10')]);
    await sleep(5);
  }

  const seen: string[] = [];
  let pages = 0;
  for await (const page of feed.completed(undefined, 3)) {
    pages++;
    seen.push(...page.orders.map((o) => o.orderNumber.value));
    // a clerk corrects the first requisition while the feed is between its first and second page
    if (pages === 1) await postTrackerEvents(h.client, [event(1, '12')]);
  }
  t.same(
    ids(7).filter((id) => !seen.includes(id)),
    [],
    'every requisition is read (none moved out of reach by the edit)',
  );
  t.ok(seen.lastIndexOf('ReqPage0001') > 0, 'the edited one is read again, after its edit');
});

t.test('more events updated at one instant than a page holds: each read once', async (t) => {
  const { h, feed, event } = await rig(t);
  // one import: every event gets the same updatedAt
  await postTrackerEvents(
    h.client,
    Array.from({ length: 8 }, (_, i) => event(i + 1, '10')),
  );
  await sleep(5);
  await postTrackerEvents(h.client, [event(9, '10')]);
  const seen: string[] = [];
  for await (const page of feed.completed(undefined, 3)) seen.push(...page.orders.map((o) => o.orderNumber.value));
  t.same([...seen].sort(), ids(9), 'all nine, none twice');
});
