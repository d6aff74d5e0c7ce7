/**
 * Issue 18: a search's links to what writes made (RoutedFlow.withWrittenIds) are read again only
 * when they may have changed. On the embedded SQLite store an answer is reused while the store's
 * link-write count has not moved and for at most the trust time; a link write is seen by the next
 * search at once. On PostgreSQL, or a store that does not count its link writes, every search reads.
 */
import t from 'tap';
import { WrittenLinks } from '../../../src/routing/written-links.js';
import { SIGHTING_TRUST_MS } from '../../../src/routing/seen-versions.js';
import type { NewJob, Store } from '../../../src/store/index.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

function job(id: string): NewJob {
  return {
    id,
    flow: 'facility',
    system: 'openlmis',
    idempotencyKey: `facility|k|${id}`,
    payloadHash: id,
    payload: { id },
    status: 'pending',
    attempts: 1,
    nextAttemptAt: 1_000,
    createdAt: 1_000,
  };
}

type Counted = Store & { linkWrites?: () => number };

/**
 * The store with its linksToUpstream reads counted. Where the store does not count its own link
 * writes yet (s12-D-to-B: `linkWrites` on the SQLite store), its two link-writing calls used here
 * are counted on its behalf, as it would count them.
 */
function counting(store: Store, countWrites: boolean): { store: Counted; reads: () => number } {
  let reads = 0;
  let writes = 0;
  const own = (store as Counted).linkWrites;
  const wrapped = new Proxy(store, {
    get(target, p) {
      const v = Reflect.get(target, p) as unknown;
      if (p === 'linksToUpstream')
        return (...args: Parameters<Store['linksToUpstream']>) => {
          reads++;
          return target.linksToUpstream(...args);
        };
      if (p === 'linkWrites')
        return !countWrites ? undefined : typeof own === 'function' ? own.bind(target) : () => writes;
      if (typeof v === 'function' && (p === 'recordWrites' || p === 'putLinks'))
        return (...args: unknown[]) => {
          writes++;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { store: wrapped as Counted, reads: () => reads };
}

const ids = ['u1', 'u2', 'u3'];
const fhirIds = async (links: Promise<readonly { fhirId: string }[]>) => (await links).map((l) => l.fhirId);

for (const engine of engineCases()) {
  t.test(`${engine.name}: a repeated page's links, and a link written since`, { skip: engine.skip }, async (t) => {
    const base = (await freshStore(engine, t)).store;
    const { store, reads } = counting(base, true);
    let now = 0;
    const links = new WrittenLinks(store, SIGHTING_TRUST_MS, () => now);
    t.same(await fhirIds(links.of('facilities', 'openlmis', ids)), [], 'no writes yet: no links');
    t.same(await fhirIds(links.of('facilities', 'openlmis', ids)), [], 'the same page again');
    t.same(await fhirIds(links.of('facilities', 'openlmis', ids)), []);
    const cached = engine.name === 'sqlite';
    t.equal(reads(), cached ? 1 : 3, cached ? 'SQLite: read once' : 'PostgreSQL: read every time');

    // a write under the client's own id, linked to u2
    await store.recordWrites(
      [job('j1')],
      [{ flow: 'facilities', fhirId: 'client-uuid', system: 'openlmis', jobId: 'j1', upstreamId: 'u2' }],
    );
    t.same(await fhirIds(links.of('facilities', 'openlmis', ids)), ['client-uuid'], 'the next search sees the write');
    t.equal(reads(), cached ? 2 : 4, 'having read again');
    t.same(await fhirIds(links.of('facilities', 'openlmis', ['u2'])), ['client-uuid'], 'another page: its own read');
    t.same(await fhirIds(links.of('facilities', 'msupply', ids)), [], 'another system: its own read');
    t.equal(reads(), cached ? 4 : 6);

    now += SIGHTING_TRUST_MS;
    await links.of('facilities', 'openlmis', ids);
    t.equal(reads(), cached ? 5 : 7, 'past the trust time (another process may have written): read again');
    const answer = await links.of('facilities', 'openlmis', ids);
    t.equal(
      Object.isFrozen(answer) && answer.every((l) => Object.isFrozen(l)),
      cached,
      cached ? 'a remembered answer (shared by searches) is frozen' : "PostgreSQL: the store's own answer",
    );
  });
}

t.test('SQLite without a link-write count: every search reads', async (t) => {
  const [sqlite] = engineCases();
  const { store, reads } = counting((await freshStore(sqlite, t)).store, false);
  const links = new WrittenLinks(store, SIGHTING_TRUST_MS, () => 0);
  await links.of('facilities', 'openlmis', ids);
  await links.of('facilities', 'openlmis', ids);
  t.equal(reads(), 2);
});

t.test('at most maxPages pages are remembered, the longest unused dropped first', async (t) => {
  const [sqlite] = engineCases();
  const { store, reads } = counting((await freshStore(sqlite, t)).store, true);
  const links = new WrittenLinks(store, SIGHTING_TRUST_MS, () => 0, 2);
  await links.of('facilities', 'openlmis', ['a']);
  await links.of('facilities', 'openlmis', ['b']);
  await links.of('facilities', 'openlmis', ['a']);
  await links.of('facilities', 'openlmis', ['c']);
  t.equal(reads(), 3, 'a, b, c read; a again from memory');
  await links.of('facilities', 'openlmis', ['a']);
  t.equal(reads(), 3, 'a was used last: kept');
  await links.of('facilities', 'openlmis', ['b']);
  t.equal(reads(), 4, 'b was dropped');
});
