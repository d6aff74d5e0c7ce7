/**
 * Store.linkWrites (issue 18): the SQLite store counts this process's writes of resource_links, so a
 * search may reuse the links it read while nothing wrote any (routing/written-links.ts). Every
 * kind of link write moves the count: links recorded with a write, links put by a search, the
 * upstream id a job's end links, the upstream id a superseded job's links lose. A write without
 * links does not. PostgreSQL keeps no count: several instances write there, so readers always ask.
 */
import t from 'tap';
import type { NewJob, StoredError } from '../../../src/store/index.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

function job(id: string, key = id, payloadHash = id): NewJob {
  return {
    id,
    flow: 'facility',
    system: 'openlmis',
    idempotencyKey: `facility|${key}`,
    payloadHash,
    payload: { id },
    status: 'pending',
    attempts: 1,
    nextAttemptAt: 1_000,
    createdAt: 1_000,
  };
}

const refused: StoredError = {
  name: 'BusinessRuleError',
  status: 422,
  issues: [{ code: 'business-rule', diagnostics: 'no such zone' }],
};

for (const engine of engineCases()) {
  t.test(`${engine.name}: every write of a link moves the count`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    if (engine.name === 'postgres') {
      t.equal(store.linkWrites, undefined, 'PostgreSQL keeps no count: readers always ask');
      return;
    }
    const count = () => store.linkWrites!();
    const moves = async (what: string, write: () => Promise<unknown>, expected = true) => {
      const before = count();
      await write();
      t.equal(count() !== before, expected, what);
    };
    await moves('a write recorded with its links', () =>
      store.recordWrites([job('j1')], [{ flow: 'facilities', fhirId: 'client-1', system: 'openlmis', jobId: 'j1' }]),
    );
    await moves('links a search put', () =>
      store.putLinks([{ flow: 'facilities', fhirId: 'derived-9', system: 'openlmis', upstreamId: 'u-9' }]),
    );
    await moves('a write without links: no move', () => store.recordWrite(job('j2', 'k2', 'h2')), false);

    const claimed = await store.claimJobs({
      system: 'openlmis',
      flows: ['facility'],
      limit: 10,
      leaseOwner: 'A',
      leaseMs: 10_000,
      now: 2_000,
    });
    t.same(claimed.map((j) => j.id).sort(), ['j1', 'j2']);
    await moves("a job's end links its upstream object", () =>
      store.finishJob('j1', 'A', { status: 'done', result: { system: 'openlmis', ids: { facility: 'u-1' } } }, 3_000),
    );
    t.same(
      (await store.linksToUpstream('facilities', 'openlmis', ['u-1'])).map((l) => l.fhirId),
      ['client-1'],
      'the link a search now finds',
    );
    await moves(
      'a refusal links nothing',
      () => store.finishJob('j2', 'A', { status: 'rejected', error: refused }, 3_000),
      false,
    );
    await moves("a new write taking a refused write's key clears its links", () =>
      store.recordWrite(job('j3', 'k2', 'h3')),
    );
    t.equal((await store.getJob('j2'))?.supersededBy, 'j3', 'j3 superseded j2');
  });
}
