/**
 * A process that accepts an R5 resend of a queued delivery confirmation (RoutedFlow.acceptAsHeld,
 * DELIVERIES) just as the write holding its key is refused, then dies by SIGKILL at its next step:
 * its first store write after the accept's COMMIT, or the end of the accept. The held job is
 * refused between the outbox's "key taken" and the retry under the held payload's hash (the store
 * the flow reads the held job through refuses it first), so the resend becomes a job of its own.
 * DATABASE_URL names the store; the held job must be recorded there in flight under lease
 * `held-lease` (held-race-relink.test.ts). Prints nothing: the store is what it leaves.
 */
import type { Delivery } from '../../../src/domain/index.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { DELIVERIES } from '../../../src/routing/flows.js';
import { RoutedFlow } from '../../../src/routing/routed-flow.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { HELD_JOB, HELD_LEASE, REFUSED, RESEND_KEY, resent } from './held-race-write.js';

const store = await openStore({ databaseUrl: process.env.DATABASE_URL! });
const outbox = new Outbox({ store, options: { deadlineMs: 1, pollMs: 60_000 } });
// the resend's attempt runs until the process dies: answered queued
outbox.register('delivery', 'openlmis', () => new Promise(() => undefined));

const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('killed');
};
let refused = false;
const racing = new Proxy(store, {
  get(target, name, receiver) {
    // the held job is refused just after the flow read it: the race
    if (name === 'getJob')
      return async (id: string) => {
        const job = await target.getJob(id);
        if (id === HELD_JOB && !refused) {
          refused = true;
          await target.finishJob(HELD_JOB, HELD_LEASE, { status: 'rejected', error: REFUSED }, Date.now());
        }
        return job;
      };
    // the first store write after the accept's COMMIT does not happen
    if (name === 'putLinks') return die;
    const value = Reflect.get(target, name, receiver) as unknown;
    return typeof value === 'function' ? value.bind(target) : value;
  },
}) as Store;

const flow = new RoutedFlow<Delivery>(DELIVERIES, [], outbox, racing);
await flow.acceptAsHeld([
  {
    flow: 'delivery',
    system: 'openlmis',
    idempotencyKey: RESEND_KEY,
    payload: resent,
    links: [{ flow: 'deliveries', fhirId: resent.id! }],
  },
]);
die();
