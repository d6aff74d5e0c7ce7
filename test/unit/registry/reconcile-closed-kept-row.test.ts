/**
 * An automatic link of a live record to a registry facility the registry had already closed, kept
 * from a run before the rule of match/closed-in-registry.ts (or any automatic row made so). A run
 * re-scores only rows whose inputs changed (their fingerprint), and neither the record nor the
 * facility changed: the row stayed linked, and the next propagation of that facility (a change to
 * it, a retried deactivation) deactivated the live record without anyone deciding it. A run now
 * re-scores such a row whatever its fingerprint, so the rule sends it to review.
 */
import t from 'tap';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import type { Facility } from '../../../src/domain/facility.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const MFL = 'http://example.org/mfl-code';

const facility = (id: string, status: Facility['status'], code: string): Facility => ({
  id,
  name: 'Kasikeu Dispensary',
  status,
  kind: 'facility',
  identifiers: [{ system: MFL, value: code }],
  types: [{ system: 'http://example.org/type', code: 'dispensary' }],
  areaPath: ['Kilome', 'Makueni'],
});

// closed, and registered again under a new code with the same name
const REGISTRY = [facility('C1', 'inactive', '1001'), facility('S1', 'active', '2001')];
const SYSTEM = [facility('L1', 'active', '1001')];

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', SYSTEM, REGISTRY);
    const first = (await store.getCrosswalk('emr', 'L1'))!;
    t.equal(first.state, 'review', 'the rule: a run sends it to review');
    // as a run before the rule left it: linked by the shared code, its fingerprint that of these
    // very inputs (the same record, the same registry records referenced)
    await store.upsertCrosswalk({ ...first, state: 'auto-match', zone: 'auto', registryId: 'C1' });

    const summary = await reconcileIntoStore(store, 'emr', SYSTEM, REGISTRY);
    const row = (await store.getCrosswalk('emr', 'L1'))!;
    t.equal(summary.rescored, 1, 're-scored although nothing it reads changed');
    t.equal(row.state, 'review', 'no longer linked automatically to the closed facility');
    t.equal(row.registryId, undefined, 'links nothing');
    t.ok(
      row.reasons.some((r) => r.field === 'closed-in-registry'),
      'says why',
    );

    // a record closed in its system too keeps its automatic link to the closed facility
    const closedToo = [facility('L1', 'inactive', '1001')];
    await reconcileIntoStore(store, 'emr', closedToo, REGISTRY);
    t.match(await store.getCrosswalk('emr', 'L1'), { state: 'auto-match', registryId: 'C1' });
    const again = await reconcileIntoStore(store, 'emr', closedToo, REGISTRY);
    t.equal(again.rescored, 0, 'and is not re-scored at every run');
  });
