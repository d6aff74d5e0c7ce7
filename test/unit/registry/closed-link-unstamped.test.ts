/**
 * A registry record the pull kept from a push without meta.lastUpdated (unstamped) has no time of
 * the registry's: the feed places it just after the version kept before it (changedAt + 1, or the
 * epoch for a first one: propagator.ts changedAt), a place in order, not a moment. Compared with
 * the registry list's lastUpdated as if it were one, a list read (cached up to a minute) before the
 * registry pushed the closure looked fresher: the closure lost, the accept linked the live record
 * to the closed facility, and the next propagation deactivated it. Its time cannot be told, so
 * closed if either says so (closed-link.ts latestWord).
 */
import t from 'tap';
import { assertOpenInRegistry, latestWord } from '../../../src/registry/closed-link.js';
import type { Facility } from '../../../src/domain/facility.js';
import type { RegistryRecordRow } from '../../../src/store/types.js';
import type { CrosswalkRow } from '../../../src/registry/crosswalk-types.js';

const T1 = '2026-11-01T00:00:00.000Z';
const T2 = '2026-11-20T00:00:00.000Z';

const facility = (status: Facility['status'], lastUpdated?: string): Facility => ({
  id: 'R9',
  name: 'Kasikeu Dispensary',
  identifiers: [],
  status,
  kind: 'facility',
  ...(lastUpdated ? { lastUpdated } : {}),
});

/** The row the feed keeps for a push without meta: placed after `before` (ms), its lastUpdated this machine's clock. */
function pushedRow(status: Facility['status'], before: number | undefined): RegistryRecordRow {
  const now = '2026-12-08T01:00:00.000Z';
  return {
    registryId: 'R9',
    version: 'pushed',
    changedAt: before === undefined ? 0 : before + 1,
    seenAt: Date.parse(now),
    record: { id: 'R9', version: 'pushed', lastUpdated: now, unstamped: true, facility: facility(status, now) },
  };
}

t.test('a closure pushed without a time, a list read before it: closed', async (t) => {
  // kept open at T1, the list saw a later open version at T2, then the registry pushed the closure
  t.equal(latestWord(pushedRow('inactive', Date.parse(T1)), facility('active', T2))?.status, 'inactive');
  // the first version the pull kept of it (placed at the epoch)
  t.equal(latestWord(pushedRow('inactive', undefined), facility('active', T2))?.status, 'inactive');
});

t.test('a reopening pushed without a time, a list saying closed: closed (which is later cannot be told)', async (t) => {
  t.equal(latestWord(pushedRow('active', Date.parse(T1)), facility('inactive', T2))?.status, 'inactive');
});

t.test('both open: open', async (t) => {
  t.equal(latestWord(pushedRow('active', Date.parse(T1)), facility('active', T2))?.status, 'active');
});

t.test('an accept after such a push is refused without linkClosed', async (t) => {
  const row = { system: 'emr', systemId: 'L9' } as CrosswalkRow;
  const known = {
    store: { getRegistryRecord: async () => pushedRow('inactive', undefined) },
    registry: async () => [facility('active', T2)],
  };
  await t.rejects(assertOpenInRegistry(row, 'R9', known, undefined, 'link'), /is closed in the registry/);
  await t.resolves(assertOpenInRegistry(row, 'R9', known, true, 'link'));
});
