/**
 * An `_offset` past the last match answers an empty page whose `previous` link is the last page
 * with matches (on the client's own grid of `_count`), not the empty page just before it: a client
 * that went too far steps back once to the end of the list. Through the real mediator and the
 * OpenLMIS sandbox (Locations, paged here by `_offset`), on both store engines (a search stores
 * the links of what it lists).
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { startRigOn, why } from '../../support/openlmis-e2e.js';

const linkOf = (body: any, relation: string): string | undefined =>
  body.link.find((l: any) => l.relation === relation)?.url;
const offsetOf = (url: string) => Number(new URL(url).searchParams.get('_offset') ?? 0);
const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: previous from past the end is the last page with matches`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const all = await rig.fhir('GET', '/fhir/Location?_sort=name&_count=3');
      t.equal(all.status, 200, why(all));
      const total: number = all.body.total;
      t.ok(total > 3, `more than one page: ${total}`);

      for (const offset of [total + 7, total + 3 - (total % 3), total]) {
        const past = await rig.fhir('GET', `/fhir/Location?_sort=name&_count=3&_offset=${offset}`);
        t.equal(past.status, 200, why(past));
        t.equal(past.body.entry, undefined, `_offset=${offset}: no matches there`);
        t.equal(linkOf(past.body, 'next'), undefined, 'and no next');
        const previous = linkOf(past.body, 'previous')!;
        t.ok(previous, 'a previous link');
        t.equal(offsetOf(previous) % 3, offset % 3, 'on the same grid of 3');
        const back = await rig.fhir('GET', pathOf(previous));
        t.equal(back.status, 200, why(back));
        t.ok(back.body.entry?.length > 0, `previous of _offset=${offset} has matches (${offsetOf(previous)})`);
        t.equal(linkOf(back.body, 'next'), undefined, 'and is the last page');
      }

      // inside the list, previous is the page before, as it was
      const second = await rig.fhir('GET', '/fhir/Location?_sort=name&_count=3&_offset=3');
      t.equal(offsetOf(linkOf(second.body, 'previous')!), 0);
    },
  );
}
