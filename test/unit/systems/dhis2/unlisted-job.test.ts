/**
 * An async tracker import whose job DHIS2 forgot before the connector's first poll (a restart):
 * `tracker/jobs/{id}` answers 200 `[]` for ever, as for an id it never had (dhis2-core
 * TrackerImportController.getJob). The old connector polled until dhis2.jobTimeoutMs (10 minutes
 * by default). Now, after unlistedLimitMs with nothing listed, it looks the events up by UID:
 * - found with the values sent: done, not sent again (no second import);
 * - not there: a transient failure at once, so the outbox sends it again (the same UIDs).
 * The old connector's answer in both cases was "not done after dhis2.jobTimeoutMs": sent again, always.
 * The sandbox is made to list nothing for the job with a fault on the job's path.
 */
import t, { type Test } from 'tap';
import { isTransient } from '../../../../src/domain/errors.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { CONSIGNMENT } from '../../../../sandbox/dhis2/index.js';
import { consignmentEvents } from '../../../support/dhis2-consignment-events.js';
import { startHarness } from './harness.js';

const POLL_MS = 5;
const TIMEOUT_MS = 4_000;

async function rig(t: Test, version: string, jobDelayMs: number) {
  const h = await startHarness(
    { version, jobDelayMs },
    { 'dhis2.trackerAsyncThreshold': 1, 'dhis2.jobPollMs': POLL_MS, 'dhis2.jobTimeoutMs': TIMEOUT_MS },
  );
  t.teardown(h.close);
  // DHIS2 restarted before the first poll: the job is listed as nothing, for ever
  h.sandbox.faults.add({
    method: 'GET',
    path: '/api/tracker/jobs/*',
    action: { type: 'status', status: 200, body: [] },
  });
  return h;
}

for (const version of ['2.40.4', '2.41.3']) {
  t.test(`${version}: the job forgotten after it ran: its events are found, nothing is sent again`, async (t) => {
    const h = await rig(t, version, 1);
    const events = consignmentEvents(h, 3, 'Lf', { reference: false });
    const result = await postTrackerEvents(h.client, events);
    t.match(result, { status: 'OK', errors: [], message: /forgot the import job; its events were found/ });
    t.equal(h.sandbox.state.count('POST', '/api/tracker'), 1, 'one import, not two');
    t.equal(
      [...h.sandbox.tracker.events.keys()].filter((k) => k.startsWith('Lf')).length,
      3,
      'three events, each once',
    );
  });
}

t.test('the job forgotten before it ran: transient at once, and the resend imports it', async (t) => {
  const h = await rig(t, '2.41.3', 600_000);
  const events = consignmentEvents(h, 2, 'Lg', { reference: false });
  const lost = (await postTrackerEvents(h.client, events).catch((e: unknown) => e)) as Error;
  t.ok(isTransient(lost), 'the outbox sends it again');
  t.match(lost.message, /listed nothing for the job .* what it imports is not there: sent again/);
  t.notMatch(lost.message, /jobTimeoutMs/, 'not by waiting out dhis2.jobTimeoutMs');
  t.equal([...h.sandbox.tracker.events.keys()].filter((k) => k.startsWith('Lg')).length, 0, 'nothing in DHIS2');

  h.sandbox.faults.clear();
  h.sandbox.tracker.finishJobs(); // a job still queued after all: it runs, the resend updates the same UIDs
  const again = await postTrackerEvents(h.client, events).catch((e: unknown) => e);
  t.notOk(again instanceof Error && !isTransient(again), 'never refused');
  t.equal([...h.sandbox.tracker.events.keys()].filter((k) => k.startsWith('Lg')).length, 2, 'each event once');
});

t.test('events found with other values are not the import: sent again', async (t) => {
  const h = await rig(t, '2.41.3', 600_000);
  // an earlier import holds the same UIDs with other quantities; the corrected one's job is forgotten
  const first = consignmentEvents(h, 2, 'Lh', { reference: false });
  h.sandbox.faults.clear();
  await postTrackerEvents(h.client, first).catch(() => undefined);
  h.sandbox.tracker.finishJobs();
  t.equal([...h.sandbox.tracker.events.keys()].filter((k) => k.startsWith('Lh')).length, 2);
  h.sandbox.faults.add({
    method: 'GET',
    path: '/api/tracker/jobs/*',
    action: { type: 'status', status: 200, body: [] },
  });
  const corrected = first.map((e) => ({
    ...e,
    dataValues: e.dataValues.map((dv) => (dv.dataElement === CONSIGNMENT.quantity ? { ...dv, value: '99' } : dv)),
  }));
  const lost = (await postTrackerEvents(h.client, corrected).catch((e: unknown) => e)) as Error;
  t.ok(isTransient(lost), 'the stored values differ: not taken as landed');
  t.match(lost.message, /not there: sent again/);
});
