/**
 * A write accepted by an instance of a release before v68 still running after the upgrade is keyed
 * as that release keyed it: its identifier unescaped (domain/business-key.ts). v68 rekeyed what
 * was stored, not what such an instance stores after it. Its retry here is keyed escaped, and
 * missing that job would send it twice; so a write whose key changed looks under its former key
 * too, and takes it when a job of this very write stands there (routed-flow.ts keyHeld). A job
 * under it of another write (DL-1's copy for DHIS2, spelled as delivery `DL-1|dhis2` was) is not
 * taken for it. Real outbox and store, both engines.
 */
import t from 'tap';
import type { Delivery } from '../../../src/domain/index.js';
import { hashPayload } from '../../../src/outbox/hash.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { DELIVERIES, secondaryKey } from '../../../src/routing/flows.js';
import type { Connector, WriteResult } from '../../../src/routing/ports.js';
import { RoutedFlow } from '../../../src/routing/routed-flow.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import type { Store } from '../../../src/store/types.js';

const APP = 'https://app.example.org/deliveries';

const delivery = (value: string): Delivery => ({
  identifier: { system: APP, value },
  status: 'completed',
  destination: { id: 'fac-1' },
  lines: [],
});

/** Job `id` writing `d` under `key` to system `a`, delivered there as `upstream`. */
async function delivered(store: Store, id: string, key: string, d: Delivery, upstream: string): Promise<void> {
  const job = { id, flow: DELIVERIES.outboxFlow, system: 'a', idempotencyKey: key, payloadHash: hashPayload(d) };
  const at = { attempts: 1, nextAttemptAt: 1_000, leaseOwner: 'w1', leaseUntil: 60_000, createdAt: 1_000 };
  await store.recordWrites([{ ...job, payload: d, status: 'in-flight', ...at }], []);
  await store.finishJob(id, 'w1', { status: 'done', result: { system: 'a', ids: { delivery: upstream } } }, 1_001);
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: a retry finds its job under the key a release before v68 gave it`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const outbox = new Outbox({ store, options: { deadlineMs: 2_000, pollMs: 20 } });
      t.teardown(() => outbox.stop());
      const sent: string[] = [];
      const system: Connector = {
        system: 'a',
        deliveries: {
          get: async () => undefined,
          search: async () => ({ items: [] }),
          confirm: async (d): Promise<WriteResult> => {
            sent.push(d.identifier.value);
            return { system: 'a', ids: { delivery: `up-${sent.length}` } };
          },
        },
      };
      outbox.register(DELIVERIES.outboxFlow, 'a', (job) =>
        system.deliveries!.confirm(job.payload as Delivery, {} as never),
      );
      const flow = new RoutedFlow(DELIVERIES, [system], outbox, store);
      const targets = { primary: 'a', secondary: [] };

      // DL-1's copy for system `a`, and delivery `DL-7|x` by an older instance: both unescaped
      const dl1 = delivery('DL-1');
      await delivered(store, 'dl-1-copy', secondaryKey(DELIVERIES.key(dl1)!, 'a'), dl1, 'up-0');
      const barred = delivery('DL-7|x');
      await delivered(store, 'old-instance', `delivery|${APP}|DL-7|x`, barred, 'up-7');

      const [retry] = await flow.acceptRequests(barred, { mode: 'create' }, targets);
      t.equal(retry.idempotencyKey, `delivery|${APP}|DL-7|x`, 'the retry keyed as the job it finds');
      const [outcome] = await outbox.acceptWrites([retry]);
      t.match(outcome, { kind: 'duplicate', jobId: 'old-instance' }, 'answered as that job');
      t.same(sent, [], 'nothing sent again');

      const [other] = await flow.acceptRequests(delivery('DL-1|a'), { mode: 'create' }, targets);
      t.equal(other.idempotencyKey, `delivery|${APP}|DL-1%7Ca`, "delivery DL-1|a: its own key, not DL-1's copy");
      const [written] = await outbox.acceptWrites([other]);
      t.equal(written.jobId === 'dl-1-copy', false, "not answered as DL-1's copy");
      t.same(sent, ['DL-1|a'], 'and written');
    },
  );
