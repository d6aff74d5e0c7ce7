/**
 * A write of a flow registered inOrder is not delivered inside its request while an earlier job of
 * the same resource, system and flow still waits, even when the caller did not say it is behind
 * one: a facility's secondary targets (DHIS2, OpenMRS in the shipped routing.json) are jobs the
 * routing links to no earlier job, so only the outbox can see that the system's earlier write of
 * the facility is in backoff. Delivered at once, the later one would land first and the earlier
 * one's retry over it. Both store engines.
 */
import t from 'tap';
import { UpstreamError } from '../../../src/domain/errors.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { FAST, waitFor } from '../../support/outbox-fixture.js';

const facility = (key: string, name: string) => ({
  flow: 'facility',
  system: 'dhis2',
  idempotencyKey: key,
  payload: { id: 'loc-a', name },
});

for (const engine of engineCases()) {
  t.test(`a later write waits for an earlier one in backoff (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const outbox = new Outbox({ store, options: { ...FAST, deadlineMs: 2_000 } });
    t.teardown(() => outbox.stop(5_000));
    /** What the system received, in order; the first delivery fails once (transient). */
    const received: string[] = [];
    let failFirst = true;
    outbox.register(
      'facility',
      'dhis2',
      async (job) => {
        const { name } = job.payload as { name: string };
        received.push(name);
        if (failFirst && name === 'First') {
          failFirst = false;
          throw new UpstreamError({ system: 'dhis2', transient: true, upstreamStatus: 503, diagnostics: 'HTTP 503' });
        }
        return { system: 'dhis2', ids: { facility: 'ou-1' } };
      },
      { inOrder: true },
    );

    const first = await outbox.acceptWrite(facility('k-first', 'First'));
    t.match(first, { kind: 'queued', status: 'pending' }, 'the first meets a 503: queued for a retry');
    const second = await outbox.acceptWrite(facility('k-second', 'Second'));
    t.match(
      second,
      { kind: 'queued', status: 'pending', reason: /earlier write of it is still waiting to be delivered to dhis2/ },
      'the second is queued behind the first, not delivered now',
    );
    t.same(received, ['First'], 'the second did not overtake the first');

    outbox.startWorker();
    t.ok(await waitFor(async () => (await store.getJob(second.jobId))?.status === 'done'));
    t.same(received, ['First', 'First', 'Second'], 'delivered in the order accepted');
  });

  t.test(`nothing earlier waiting: delivered at once (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const outbox = new Outbox({ store, options: { ...FAST, deadlineMs: 2_000 } });
    t.teardown(() => outbox.stop(5_000));
    outbox.register('facility', 'dhis2', async () => ({ system: 'dhis2', ids: { facility: 'ou-1' } }), {
      inOrder: true,
    });
    t.match(await outbox.acceptWrite(facility('k-1', 'First')), { kind: 'done' });
    t.match(await outbox.acceptWrite(facility('k-2', 'Second')), { kind: 'done' }, 'the first is done: no wait');
  });
}
