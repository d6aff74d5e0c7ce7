/**
 * A reconcile run and a registry facility the registry has closed (status inactive). Before: status
 * was only a matcher feature, so a run linked a record live in its system to the closed facility
 * by itself (its old code, or its name alone), and the next registry propagation deactivated the
 * system's live record (propagation/plan.ts) without anyone having decided it. Now such a pair goes
 * to review, the review queue saying why on the closed candidate; an open successor that clearly
 * wins is linked; a record itself inactive may still be linked to its closed facility (nothing
 * live to deactivate). The real run into the store, on both engines, and the propagation plan.
 */
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { plan } from '../../../src/registry/propagation/plan.js';
import type { Facility } from '../../../src/domain/facility.js';
import { evidenceOf } from '../../../src/admin/ui/evidence.js';
import type { ScoreReason } from '../../../src/registry/crosswalk-types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'reconcile-closed-token';
const MFL = 'http://example.org/mfl-code';

function facility(id: string, name: string, status: Facility['status'], code?: string, type = 'dispensary'): Facility {
  return {
    id,
    name,
    status,
    kind: 'facility',
    identifiers: code ? [{ system: MFL, value: code }] : [],
    types: [{ system: 'http://example.org/type', code: type }],
    areaPath: ['Kilome', 'Makueni'],
  };
}

const REGISTRY: Facility[] = [
  // closed, and registered again under a new code with the same name
  facility('C1', 'Kasikeu Dispensary', 'inactive', '1001'),
  facility('S1', 'Kasikeu Dispensary', 'active', '2001'),
  // closed, nothing replaces it
  facility('C2', 'Mbooni Dispensary', 'inactive', '1002'),
  facility('C3', 'Kilala Dispensary', 'inactive', '1003'),
  // closed dispensary, upgraded to a health centre under a new name and code
  facility('C4', 'Kithuki Dispensary', 'inactive', '1004'),
  facility('S4', 'Kithuki Health Centre', 'active', '2004', 'health-centre'),
];

const SYSTEM: Facility[] = [
  facility('L1', 'Kasikeu Dispensary', 'active', '1001'), // live, still with the old code
  facility('L2', 'Mbooni Dispensary', 'active'), // live, the name alone
  facility('L3', 'Kilala Dispensary', 'inactive'), // closed in its system too
  facility('L4', 'Kithuki Health Centre', 'active', undefined, 'health-centre'),
];

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', SYSTEM, REGISTRY);
    const row = async (id: string) => (await store.getCrosswalk('emr', id))!;

    for (const id of ['L1', 'L2']) {
      const r = await row(id);
      t.equal(r.state, 'review', `${id}, live, is not linked to a closed facility by the run`);
      t.equal(r.registryId, undefined, `${id} links nothing`);
      t.ok(
        r.reasons.some((x) => x.field === 'closed-in-registry'),
        `${id}: the row says why it is not automatic`,
      );
    }
    t.same(
      (await row('L1')).suggestions.map((s) => s.registryId),
      ['C1', 'S1'],
      'both the closed facility and its successor are offered',
    );
    t.match(await row('L3'), { state: 'auto-match', registryId: 'C3' }, 'an inactive record keeps its closed facility');
    t.match(
      await row('L4'),
      { state: 'auto-match', registryId: 'S4' },
      'the open successor that clearly wins is linked',
    );

    // the review queue shows why on the closed candidate itself, not on its successor
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN, registry: async () => REGISTRY });
    t.teardown(() => app.close());
    const queue = await app.inject({
      method: 'GET',
      url: '/admin/reconcile/emr/review',
      headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'alice' },
    });
    t.equal(queue.statusCode, 200);
    type Item = {
      systemId: string;
      suggestions: { registryId: string; reasons: { field: string; detail: string }[] }[];
    };
    const l1 = (queue.json().items as Item[]).find((i) => i.systemId === 'L1');
    const closedWhy = (id: string) =>
      l1?.suggestions.find((s) => s.registryId === id)?.reasons.find((x) => x.field === 'closed-in-registry');
    t.match(
      closedWhy('C1')?.detail,
      /closed \(inactive\) while the record is active .* deactivated .* never automatic/,
    );
    t.equal(closedWhy('S1'), undefined, 'the open successor carries no such reason');
    const c1 = l1?.suggestions.find((s) => s.registryId === 'C1');
    t.match(
      evidenceOf((c1?.reasons ?? []) as ScoreReason[])[0],
      { for: false, text: /^closed in the registry: / },
      "the console says it first, against the candidate (not 'For:')",
    );

    // propagation of the closed facilities: no live record is deactivated
    const rows = await store.listCrosswalk('emr');
    const deactivated = REGISTRY.filter((f) => f.status === 'inactive')
      .map((f) => plan({ facility: f, system: 'emr', rows, routedHere: true, reconciled: true }))
      .filter((d) => d.action === 'deactivate' && d.state === 'queued')
      .map((d) => d.systemId);
    t.same(deactivated, ['L3'], 'only the record already inactive in its system is deactivated');

    // reopened in the registry: the next run links it by itself
    const reopened = REGISTRY.map((f) => (f.id === 'C2' ? { ...f, status: 'active' as const } : f));
    await reconcileIntoStore(store, 'emr', SYSTEM, reopened);
    t.match(await row('L2'), { state: 'auto-match', registryId: 'C2' }, 'reopened: linked by the next run');
  });
