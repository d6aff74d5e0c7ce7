/** The breaker states the systems view shows: each system seen, closed until its failures open it. */
import t from 'tap';
import { BreakerSet } from '../../../src/outbox/breakers.js';
import { classifyFailure } from '../../../src/outbox/failures.js';
import { UpstreamError } from '../../../src/domain/errors.js';

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

t.test("another system's outage met by a job is not counted against the job's system", async (t) => {
  const set = new BreakerSet({ consecutiveFailures: 2, halfOpenAfterMs: 60_000 });
  // a DHIS2 facility job asking Open mSupply for its parent (routing/facility-parent.ts), mSupply down
  const msupplyDown = new UpstreamError({ system: 'msupply', transient: true, diagnostics: 'answered 503' });
  const dhis2Down = new UpstreamError({ system: 'dhis2', transient: true, diagnostics: 'answered 503' });
  const fail = (err: Error) =>
    set
      .for('dhis2')
      .policy.execute(async () => {
        throw err;
      })
      .catch(() => undefined);
  for (let i = 0; i < 3; i++) await fail(msupplyDown);
  t.same(set.gates(), { dhis2: 'closed' }, 'DHIS2 stays open to writes');
  for (let i = 0; i < 2; i++) await fail(dhis2Down);
  t.same(set.gates(), { dhis2: 'open' }, "DHIS2's own failures still open it");
});
