/**
 * Migration v67 (decided-in.ts): crosswalk.decided_in, the console session a human decision was
 * made in. Upgraded from a database written before it with decided rows: nothing is backfilled
 * (an old decision names no session, so the console says "Not decided" to a stale form, the safe
 * side), and a decision written after keeps its session, which an automatic run never replaces.
 * Both engines.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';

const OLD = `
INSERT INTO crosswalk (system, system_id, registry_id, state, zone, reasons, suggestions, decided_by, decided_at)
  VALUES ('emr', 'L1', 'R1', 'manual-match', 'high', '[]', '[]', 'Fay Reviewer', '2026-01-01T00:00:00.000Z');
`;

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await storeMigratedFrom(t, engine, 67, OLD);
    const old = await store.getCrosswalk('emr', 'L1');
    t.match(old, { state: 'manual-match', decidedBy: 'Fay Reviewer' }, 'the old decision is kept');
    t.equal(old?.decidedIn, undefined, 'and names no session: nothing backfilled');

    const tag = 'a'.repeat(32);
    await store.upsertCrosswalk({ ...old!, state: 'flagged', decidedAt: '2026-01-02T00:00:00.000Z', decidedIn: tag });
    t.equal((await store.getCrosswalk('emr', 'L1'))?.decidedIn, tag, 'a decision keeps its session');

    await store.upsertCrosswalk({ ...old!, state: 'auto-match', decidedBy: 'auto', decidedIn: undefined });
    t.match(
      await store.getCrosswalk('emr', 'L1'),
      { state: 'flagged', decidedIn: tag },
      'an automatic row replaces neither',
    );
  });
}
