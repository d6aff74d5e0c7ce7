/**
 * The propagate job stops on its signal after each long upstream read, before the write that
 * would follow it: a stop (or the job's lock lost) during the registry's full read writes no
 * absences and no full-read cursor; one during a page's intake stores no cursor for that page.
 * Fakes only: what is written is what the job itself asks of the store and the propagator.
 */
import t from 'tap';
import {
  CHANGES_CURSOR,
  FULL_READ_CURSOR,
  propagateChanges,
  type PropagateJobDeps,
} from '../../../src/jobs/propagate-job.js';
import { StoppedPartWay } from '../../../src/jobs/scheduler.js';

function rig(stop: AbortController, stopDuring: 'listAll' | 'intake') {
  const cursors = new Map<string, string>();
  const confirmed: unknown[] = [];
  const counts = { read: 1, changed: 0, queued: 0, held: 0, skipped: 0, refused: 0, refusals: [] };
  const deps = {
    store: {
      getCursor: async (k: string) => cursors.get(k),
      setCursor: async (k: string, v: string) => void cursors.set(k, v),
    },
    settings: () => ({ 'registry.fullReadHours': 24 }),
    propagator: {
      intake: async () => {
        if (stopDuring === 'intake') stop.abort(new Error('stopped'));
        return counts;
      },
      releaseHeld: async () => 0,
      // each pull looks for facilities moved under a district published since (9e092a8e)
      moveUnderPublished: async () => undefined,
      // and for versions kept by a run killed before their plan (registry-unplanned.ts)
      planUnplanned: async () => 0,
      confirmAbsent: async (listed: unknown) => {
        confirmed.push(listed);
        return { absent: 1, relisted: 0 };
      },
    },
    registry: () => ({
      async *changesSince() {
        yield { records: [], cursor: 'c1' };
      },
      listAll: async () => {
        if (stopDuring === 'listAll') stop.abort(new Error('stopped'));
        return [];
      },
    }),
  } as unknown as PropagateJobDeps;
  return { deps, cursors, confirmed };
}

t.test('a stop during the full read writes no absences and no full-read cursor', async (t) => {
  const stop = new AbortController();
  const { deps, cursors, confirmed } = rig(stop, 'listAll');
  await t.rejects(propagateChanges(deps, stop.signal), StoppedPartWay);
  t.same(confirmed, [], 'no absences confirmed');
  t.notOk(cursors.has(FULL_READ_CURSOR), 'the full read is due again');
  t.equal(cursors.get(CHANGES_CURSOR), 'c1', 'the pages done before are kept');
});

t.test("a stop during a page's intake stores no cursor for it", async (t) => {
  const stop = new AbortController();
  const { deps, cursors } = rig(stop, 'intake');
  await t.rejects(propagateChanges(deps, stop.signal), StoppedPartWay);
  t.notOk(cursors.has(CHANGES_CURSOR), 'the page is read again next run');
});
