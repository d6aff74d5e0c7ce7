/**
 * acceptAsHeld: a write whose key the outbox holds for another payload is accepted as that write
 * only when what FlowSpec.sameWriteOf keeps of both is equal; anything else keeps the outbox's 409.
 */
import t from 'tap';
import { acceptAsHeld } from '../../../src/routing/same-write.js';
import { ConflictError } from '../../../src/domain/errors.js';
import { KeyTakenError } from '../../../src/outbox/errors.js';
import type { AcceptWriteRequest, WriteOutcome } from '../../../src/outbox/types.js';
import type { OutboxJob } from '../../../src/store/types.js';

const held = { id: 'job-1', payloadHash: 'held-hash', payload: { id: 'pod-1', qty: 2 } } as unknown as OutboxJob;
const withoutId = (v: unknown) => ({ ...(v as object), id: undefined });

/** An outbox holding `delivery|1` under held-hash: any other hash for it is a KeyTakenError. */
function outbox() {
  const seen: AcceptWriteRequest[][] = [];
  const accept = async (reqs: AcceptWriteRequest[]): Promise<WriteOutcome[]> => {
    seen.push(reqs);
    if (reqs.some((r) => r.idempotencyKey === 'delivery|1' && r.payloadHash !== 'held-hash'))
      throw new KeyTakenError('delivery|1', 'job-1', 'delivery');
    return reqs.map(() => ({ kind: 'duplicate', jobId: 'job-1' }) as unknown as WriteOutcome);
  };
  return { seen, accept };
}
const request = (payload: unknown): AcceptWriteRequest => ({
  flow: 'delivery',
  system: 'openlmis',
  idempotencyKey: 'delivery|1',
  payload,
});

t.test('the same write by another id is accepted under the held hash', async (t) => {
  const o = outbox();
  const { outcomes, sameAs } = await acceptAsHeld(
    o.accept,
    [{ ...request({ id: 'derived', qty: 2 }), links: [{ flow: 'deliveries', fhirId: 'derived' }] }],
    async () => held,
    () => ({ of: withoutId }),
  );
  t.equal(outcomes.length, 1);
  t.equal(o.seen.at(-1)![0].payloadHash, 'held-hash');
  t.same(
    o.seen.at(-1)![0].links,
    [{ flow: 'deliveries', fhirId: 'derived', whenCreated: true }],
    'the id it came by is linked only if it becomes a job of its own, not to the held write',
  );
  t.same([...sameAs], [[0, held]], 'reports the held job it was answered as');
});

t.test('a write of the held payload itself reports no held job', async (t) => {
  const o = outbox();
  const { sameAs } = await acceptAsHeld(
    o.accept,
    [{ ...request({ id: 'pod-1', qty: 2 }), payloadHash: 'held-hash' }],
    async () => held,
    () => ({ of: withoutId }),
  );
  t.equal(sameAs.size, 0);
});

t.test('what sameWriteOf keeps is taken as the write being accepted states it', async (t) => {
  const o = outbox();
  const asked: unknown[] = [];
  const sent = { id: 'derived', qty: 2 };
  await acceptAsHeld(
    o.accept,
    [request(sent)],
    async () => held,
    () => ({
      of: (value, by) => {
        asked.push([value, by]);
        return withoutId(value);
      },
    }),
  );
  t.same(asked, [
    [held.payload, sent],
    [sent, sent],
  ]);
});

t.test('other content keeps the 409', async (t) => {
  const o = outbox();
  await t.rejects(
    acceptAsHeld(
      o.accept,
      [request({ id: 'derived', qty: 1 })],
      async () => held,
      () => ({ of: withoutId }),
    ),
    KeyTakenError,
  );
  t.equal(o.seen.length, 1, 'tried once');
});

t.test('a flow without sameWriteOf keeps the 409', async (t) => {
  const o = outbox();
  await t.rejects(
    acceptAsHeld(
      o.accept,
      [request({ id: 'derived', qty: 2 })],
      async () => held,
      () => undefined,
    ),
    KeyTakenError,
  );
});

t.test('the same write that may not be answered as the held one keeps a refusal', async (t) => {
  const o = outbox();
  const refusal = new ConflictError('u-1 is not an id this delivery is read under');
  await t.rejects(
    acceptAsHeld(
      o.accept,
      [request({ id: 'u-1', qty: 2 })],
      async () => held,
      () => ({
        of: withoutId,
        answerable: async () => {
          throw refusal;
        },
      }),
    ),
    refusal,
  );
  t.equal(o.seen.length, 1, 'nothing recorded under the held hash');
});

t.test('the held job ended meanwhile: the write is its own job, under its own ids', async (t) => {
  // the outbox took the key as free (held job refused just before): a job of its own, whose
  // links it wrote with it (whenCreated; the store side: test/unit/store/links-when-created)
  const accept = async (reqs: AcceptWriteRequest[]): Promise<WriteOutcome[]> => {
    if (reqs[0].payloadHash !== 'held-hash') throw new KeyTakenError('delivery|1', 'job-1', 'delivery');
    return [{ kind: 'queued', jobId: 'job-2' } as unknown as WriteOutcome];
  };
  const links = [{ flow: 'deliveries', fhirId: 'pod-1' }];
  const { outcomes, sameAs } = await acceptAsHeld(
    accept,
    [{ ...request({ id: 'r5-pod', qty: 2 }), links }],
    async () => held,
    () => ({ of: withoutId }),
  );
  t.equal(outcomes[0].jobId, 'job-2');
  t.equal(sameAs.size, 0, 'not answered as the held job');
});

t.test('answered as a duplicate of another job: answered as that job', async (t) => {
  const other = { ...held, id: 'job-3' } as OutboxJob;
  const accept = async (reqs: AcceptWriteRequest[]): Promise<WriteOutcome[]> => {
    if (reqs[0].payloadHash !== 'held-hash') throw new KeyTakenError('delivery|1', 'job-1', 'delivery');
    return [{ kind: 'duplicate', jobId: 'job-3' } as unknown as WriteOutcome];
  };
  const { sameAs } = await acceptAsHeld(
    accept,
    [request({ id: 'pod-1', qty: 2 })],
    async (id) => (id === 'job-3' ? other : held),
    () => ({ of: withoutId }),
  );
  t.same([...sameAs], [[0, other]]);
});
