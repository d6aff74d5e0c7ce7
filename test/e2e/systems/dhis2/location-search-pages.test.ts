/**
 * A Location search served from DHIS2 is paged by the mediator (the FHIR match is made here,
 * after DHIS2's filters), and each page a client followed listed every matching org unit from
 * DHIS2 again, `dhis2.pageSize` at a time. The pages after the first now reuse the list the
 * first read, for as long as one call to DHIS2 (the same filters, newest change first, one item)
 * says it is unchanged: an org unit added or renamed in DHIS2 shows on the next page asked.
 * Upstream calls counted at the DHIS2 sandbox; both store engines (the search links what it lists).
 */
import t, { type Test } from 'tap';
import { startDhis2RigOn, type Dhis2Rig } from '../../../support/dhis2-e2e.js';
import { why } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { SEED_API_TOKEN } from '../../../../sandbox/dhis2/index.js';

const PAGE_SIZE = 3;
const COUNT = 4;

/** GET of a FHIR URL (path and query, or a bundle link), with the org unit list calls it made. */
async function counted(rig: Dhis2Rig, url: string) {
  const before = rig.dhis2.state.count('GET', '/api/organisationUnits');
  const res = await rig.fhir('GET', url.replace(/^https?:\/\/[^/]+/, ''));
  return { res, calls: rig.dhis2.state.count('GET', '/api/organisationUnits') - before };
}

const nextOf = (bundle: any): string | undefined => bundle.link?.find((l: any) => l.relation === 'next')?.url;
const namesOf = (bundle: any): string[] => (bundle.entry ?? []).map((e: any) => e.resource.name);

/** Every page of the search from `url`, following next links, with the org unit list calls of each. */
async function allPages(t: Test, rig: Dhis2Rig, url: string) {
  const pages: { names: string[]; calls: number; total?: number }[] = [];
  for (let at: string | undefined = url; at;) {
    const { res, calls } = await counted(rig, at);
    t.equal(res.status, 200, why(res));
    pages.push({ names: namesOf(res.body), calls, total: res.body.total });
    at = nextOf(res.body);
  }
  return pages;
}

/** A call to the sandbox's DHIS2 API as another DHIS2 user would make it, not through the mediator. */
async function dhis2(rig: Dhis2Rig, method: string, path: string, body?: unknown) {
  const res = await fetch(`${rig.dhis2.url}${path}`, {
    method,
    headers: {
      authorization: `ApiToken ${SEED_API_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<any>;
}

for (const engine of engineCases()) {
  t.test(
    `the pages of a Location search reuse the org units the first read (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(
        t,
        engine,
        { facilities: { default: 'dhis2' } },
        { DHIS2_PAGE_SIZE: String(PAGE_SIZE) },
      );
      const units = rig.dhis2.state.orgUnits.size;
      const listPages = Math.ceil(units / PAGE_SIZE);
      t.ok(listPages > 2, `the seed's ${units} org units are ${listPages} DHIS2 pages`);

      const first = await allPages(t, rig, `/fhir/Location?_count=${COUNT}`);
      t.equal(first.length, Math.ceil(units / COUNT), `${units} Locations in pages of ${COUNT}`);
      t.equal(first[0].calls, listPages, 'the first page lists the org units, page by page');
      t.same(
        first.slice(1).map((p) => p.calls),
        first.slice(1).map(() => 1),
        'each page after it: one call, to see that nothing changed',
      );
      const listed = first.flatMap((p) => p.names);
      t.equal(new Set(listed).size, units, 'every org unit once');

      /** After a change in DHIS2: the list read again at the first page, reused by the rest. */
      const afterChange = async (what: string, count: number) => {
        const pages = await allPages(t, rig, `/fhir/Location?_count=${COUNT}`);
        t.equal(pages[0].calls, 1 + Math.ceil(count / PAGE_SIZE), `${what}: the list is read again`);
        t.same(
          pages.slice(1).map((p) => p.calls),
          pages.slice(1).map(() => 1),
          'and the pages after it reuse it',
        );
        const names = pages.flatMap((p) => p.names);
        t.equal(names.length, count, `${count} Locations`);
        return names;
      };

      // changed in DHIS2 by another user, not through the mediator
      const renamed = [...rig.dhis2.state.orgUnits.values()].find((o: any) => o.parentId) as any;
      await dhis2(rig, 'PUT', `/api/organisationUnits/${renamed.id}`, {
        code: renamed.code,
        name: `${renamed.name} Renamed`,
        shortName: renamed.shortName,
        openingDate: renamed.openingDate,
        parent: { id: renamed.parentId },
      });
      const afterRename = await afterChange('an org unit renamed', units);
      t.ok(afterRename.includes(`${renamed.name} Renamed`), 'under its new name');

      await dhis2(rig, 'POST', '/api/organisationUnits', {
        id: 'PgNewUnit01',
        name: 'Zz Paging Clinic',
        shortName: 'Zz Paging',
        openingDate: '2026-01-01',
        parent: { id: renamed.parentId },
      });
      t.ok((await afterChange('an org unit added', units + 1)).includes('Zz Paging Clinic'), 'the new one listed');

      await dhis2(rig, 'DELETE', '/api/organisationUnits/PgNewUnit01');
      t.notOk((await afterChange('an org unit deleted', units)).includes('Zz Paging Clinic'), 'the deleted one gone');
    },
  );
}
