/** The breaker states the systems view shows: each system seen, closed until its failures open it. */
import t from 'tap';
import { BreakerSet } from '../../../src/outbox/breakers.js';
import { classifyFailure } from '../../../src/outbox/failures.js';

t.test('gates per system', async (t) => {
  const set = new BreakerSet({ consecutiveFailures: 2, halfOpenAfterMs: 60_000 });
  t.same(set.gates(), {}, 'nothing before a system is used');
  set.for('openlmis');
  t.same(set.gates(), { openlmis: 'closed' });
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  t.equal(classifyFailure(refused), 'transient', 'a refused connection (not our database) counts against the system');
  for (let i = 0; i < 2; i++)
    await set
      .for('dhis2')
      .policy.execute(async () => {
        throw refused;
      })
      .catch(() => undefined);
  t.same(set.gates(), { openlmis: 'closed', dhis2: 'open' });
  t.same(
    set.gates(Date.now() + 61_000),
    { openlmis: 'closed', dhis2: 'probe' },
    'a probe is let through after halfOpenAfterMs',
  );
});
