/**
 * OrgUnitLists: a Location search's org unit list is reused by the pages after its first while
 * DHIS2's count and newest change for the same filters are those of the list, and for at most
 * LIST_REUSE_MS: a change DHIS2 leaves unstamped shows by then. A server answering without a
 * pager is listed again each time. (The pages through the sandbox: location-search-pages.test.ts.)
 */
import t from 'tap';
import type { Dhis2Client } from '../../../../src/systems/dhis2/client.js';
import { LIST_REUSE_MS, OrgUnitLists } from '../../../../src/systems/dhis2/org-unit-lists.js';

/** A DHIS2 client over `units`, counting whole lists read and probes asked; `probe` may be faked. */
function fakeDhis2(units: { id: string; lastUpdated: string }[]) {
  const asked = { lists: 0, probes: 0 };
  let probe: (() => unknown) | undefined;
  const newest = () => [...units].sort((a, b) => b.lastUpdated.localeCompare(a.lastUpdated)).slice(0, 1);
  const client = {
    list: async () => {
      asked.lists++;
      return units.map((u) => ({ ...u }));
    },
    call: async () => {
      asked.probes++;
      return probe ? probe() : { pager: { page: 1, pageSize: 1, total: units.length }, organisationUnits: newest() };
    },
  } as unknown as Dhis2Client;
  return { client, asked, answerProbe: (p: () => unknown) => (probe = p) };
}

t.test('a list is reused while DHIS2 says it is unchanged, and for a bounded time', async (t) => {
  const units = [
    { id: 'a', lastUpdated: '2026-01-01T00:00:00.000' },
    { id: 'b', lastUpdated: '2026-02-01T00:00:00.000' },
  ];
  const dhis2 = fakeDhis2(units);
  let now = 1_000;
  const lists = new OrgUnitLists(dhis2.client, () => now);
  const ids = async (filter: string[] = []) =>
    (await lists.list('id,lastUpdated', filter, 'level:asc')).map((u) => u.id);

  t.same(await ids(), ['a', 'b']);
  t.same(dhis2.asked, { lists: 1, probes: 0 }, 'the first page lists');
  t.same(await ids(), ['a', 'b']);
  t.same(dhis2.asked, { lists: 1, probes: 1 }, 'the next: one probe, no list');

  units[0].lastUpdated = '2026-03-01T00:00:00.000';
  await ids();
  t.same(dhis2.asked, { lists: 2, probes: 2 }, 'a newer change: listed again');
  units.push({ id: 'c', lastUpdated: '2026-01-15T00:00:00.000' });
  t.same(await ids(), ['a', 'b', 'c'], 'one more org unit, changed before the newest: listed again');
  units.pop();
  t.same(await ids(), ['a', 'b'], 'one fewer: listed again');

  await ids(['level:eq:4']);
  t.equal(dhis2.asked.lists, 5, 'other filters: a list of their own');

  // a change DHIS2 did not stamp: the probe cannot see it
  units[1].id = 'b2';
  t.same(await ids(), ['a', 'b'], 'within the reuse time, the list as read');
  now += LIST_REUSE_MS;
  t.same(await ids(), ['a', 'b2'], `after ${LIST_REUSE_MS} ms it is read again`);

  dhis2.answerProbe(() => ({ organisationUnits: [] }));
  const before = dhis2.asked.lists;
  await ids();
  t.equal(dhis2.asked.lists, before + 1, 'a probe answered without a pager: listed again');

  lists.clear();
  dhis2.answerProbe(() => {
    throw new Error('no probe after a clear');
  });
  await ids();
  t.equal(dhis2.asked.lists, before + 2, 'cleared (a reconfigure): listed without a probe');
});
