/**
 * DHIS2 consignments read live at each attempt, through the real connector and the DHIS2 sandbox:
 * an attempt that recorded no write reads the consignment's events again (a DHIS2 user may have
 * changed them since), and a replay after the write was recorded reads nothing.
 */
import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { CONSIGNMENT_SYSTEM } from '../../../../src/systems/dhis2/consignments.js';
import {
  consignmentCapability,
  consignmentEventsOf,
  nativeConsignment,
  trackerConflictOnce,
} from '../../../support/dhis2-consignments.js';
import { memoryJournal, startHarness, type Harness } from './harness.js';

const GTIN = 'https://www.gs1.org/gtin';
const CONDOM = '10860012300034';

const line = (value: number) => ({
  product: { system: GTIN, code: CONDOM },
  quantityAccepted: { value, unit: 'dispensing-unit' as const },
});

/** A consignment of condoms received at LK-HC-102 under `identifier`. */
const delivery = (
  identifier: Delivery['identifier'],
  lines: Delivery['lines'],
  status: Delivery['status'] = 'completed',
): Delivery => ({
  identifier,
  status,
  occurredAt: '2026-12-01T09:15:00Z',
  destination: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-102' } },
  lines,
});

/** The consignment `ref`'s events: UID, status, item and quantity. */
const eventsOf = (h: Harness, ref: string) => consignmentEventsOf(h.sandbox, ref);

t.test('a retry after a transient failure reads again: never written beside a consignment entered since', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const { caps, enter } = nativeConsignment(h, 'W-L1', []);
  const mine = delivery({ system: 'urn:app-a', value: 'W-L1' }, [line(200)], 'in-progress');
  const journal = memoryJournal('live-1');
  trackerConflictOnce(h.sandbox, 'An import of the same objects is already running');
  const first = await caps.confirm(mine, journal).catch((e) => e);
  t.equal(first?.transient, true, 'the first attempt fails, to be retried');
  // meanwhile a DHIS2 user enters a consignment under the same reference at the same org unit
  enter(['NatL1othr01', 'FP_DMPA', '7']);
  const retry = await caps.confirm(mine, journal).catch((e) => e);
  t.equal(retry?.status, 409, `the retry is refused as the precheck would be (before: written beside it): ${retry}`);
  t.match(retry?.message, /another consignment uses this reference/);
  t.same(eventsOf(h, 'W-L1'), [['NatL1othr01', 'ACTIVE', 'FP_DMPA', '7']], 'nothing written beside it');
});

t.test('a retry after a transient failure does not leave an event a DHIS2 user added since ACTIVE', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const { caps, enter } = nativeConsignment(h, 'W-L2', [['NatL2ctn001', 'FP_CNDM', '100']]);
  const asRead = delivery({ system: CONSIGNMENT_SYSTEM, value: 'W-L2' }, [line(100)]);
  const journal = memoryJournal('live-2');
  trackerConflictOnce(h.sandbox, 'An import of the same objects is already running');
  await caps.confirm(asRead, journal).catch(() => undefined);
  enter(['NatL2dmpa02', 'FP_DMPA', '9']);
  const retry = await caps.confirm(asRead, journal).catch((e) => e);
  t.equal(retry?.status, 409, `refused naming the event it has no line for (before: left ACTIVE for ever): ${retry}`);
  t.match(retry?.message, /NatL2dmpa02/);
  t.same(
    eventsOf(h, 'W-L2').map(([uid, status]) => [uid, status]),
    [
      ['NatL2ctn001', 'ACTIVE'],
      ['NatL2dmpa02', 'ACTIVE'],
    ],
    'nothing completed',
  );
});

t.test('a refusal remedied by a DHIS2 user is not repeated on the operator retry', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const { caps } = nativeConsignment(h, 'W-L3', [
    ['NatL3ctn001', 'FP_CNDM', '100'],
    ['NatL3unkn01', 'XX_UNMAPPED', '5'],
  ]);
  const asRead = delivery({ system: CONSIGNMENT_SYSTEM, value: 'W-L3' }, [line(100)]);
  // the outbox keeps a job's step journal when an operator requeues it
  const journal = memoryJournal('live-3');
  const refused = await caps.confirm(asRead, journal).catch((e) => e);
  t.equal(refused?.status, 409, 'an event of an unknown item: refused');
  h.sandbox.tracker.events.delete('NatL3unkn01'); // the remedy the message names
  const retry = await caps.confirm(asRead, journal).catch((e) => e);
  t.notOk(retry instanceof Error, `the retry lands (before: the same refusal from the frozen read): ${retry}`);
  t.same(eventsOf(h, 'W-L3'), [['NatL3ctn001', 'COMPLETED', 'FP_CNDM', '100']]);
});

t.test('a job of the previous release that already posted reruns from its journal without reading', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const caps = consignmentCapability(h.client);
  const mine = delivery({ system: 'urn:app-a', value: 'W-L4' }, [line(300)], 'in-progress');
  const journal = memoryJournal('live-4');
  await caps.confirm(mine, journal);
  // that release journalled only the POST
  for (const step of [...journal.steps.keys()]) if (step !== 'consignment-events') journal.steps.delete(step);
  const reads = h.sandbox.faults.add({
    method: 'GET',
    path: '/api/tracker/events',
    action: { type: 'status', status: 503 },
  });
  const posts = h.sandbox.state.count('POST', '/api/tracker');
  const again = await caps.confirm(mine, journal).catch((e) => e);
  t.notOk(again instanceof Error, `completes from its journal (before: the read failed it): ${again}`);
  t.equal(h.sandbox.state.count('POST', '/api/tracker'), posts, 'nothing sent again');
  t.equal(h.sandbox.faults.list().find((f) => f.id === reads.id)?.hits ?? 0, 0, 'no read asked');
});
