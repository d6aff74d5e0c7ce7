/**
 * The short memory that lets an order cost 5 OpenLMIS calls (issue 18): answers expire, serve a
 * read-back once, never leak a mutable object (a value handed over with keep() is the caller's to
 * give up), and any write to a requisition drops its copy.
 */
import t from 'tap';
import { RecentAnswers } from '../../../../src/systems/openlmis/recent-answers.js';
import {
  forgettingWrittenOnWrite,
  rememberWritten,
  takeWritten,
} from '../../../../src/systems/openlmis/requisition/requisition-recent.js';
import { decodeCursor, encodeCursor } from '../../../../src/systems/openlmis/facility/location-search.js';
import type { LmisClient, LmisRequest, OpenLmisDeps } from '../../../../src/systems/openlmis/types.js';
import type { RequisitionDto } from '../../../../src/systems/openlmis/requisition/requisition-dto.js';

const ID = '3f1c9a2e-7d4b-4c1a-9e2f-0a1b2c3d4e5f';

t.test('answers expire after their time and serve a read-back once', async (t) => {
  let now = 1_000;
  const recent = new RecentAnswers(5_000, () => now);
  recent.remember('k', { status: 'SUBMITTED' });
  t.same(recent.peek('k'), { status: 'SUBMITTED' }, 'fresh: peeked');
  t.same(recent.peek('k'), { status: 'SUBMITTED' }, 'peek leaves it');
  const copy = recent.peek<{ status: string }>('k')!;
  copy.status = 'changed';
  t.same(recent.peek('k'), { status: 'SUBMITTED' }, 'a caller cannot change what is kept');
  t.same(recent.take('k'), { status: 'SUBMITTED' }, 'take gives it');
  t.equal(recent.take('k'), undefined, '…once');
  recent.remember('old', 1);
  now += 5_000;
  t.equal(recent.peek('old'), undefined, 'gone after 5 s');
  const answer = { status: 'SUBMITTED', lines: [{ qty: 1 }] };
  recent.remember('taken', answer);
  answer.lines[0].qty = 99;
  t.same(
    recent.take('taken'),
    { status: 'SUBMITTED', lines: [{ qty: 1 }] },
    'take gives what was remembered, not later changes',
  );
  recent.remember('late', 2);
  now += 5_000;
  t.equal(recent.take('late'), undefined, 'take after 5 s: nothing');
  t.equal(recent.peek('late'), undefined, '…and it is gone');
});

t.test('the written requisition is kept only with the answer that dates it', async (t) => {
  const deps = { recent: new RecentAnswers() } as unknown as OpenLmisDeps;
  const filled = { id: ID, status: 'INITIATED', modifiedDate: 'a', requisitionLineItems: [] } as RequisitionDto;
  rememberWritten(deps, filled, { status: 'SUBMITTED' });
  t.equal(takeWritten(deps, ID), undefined, 'no modifiedDate in the answer: a read asks OpenLMIS');
  rememberWritten(deps, filled, { status: 'SUBMITTED', modifiedDate: 'b' });
  t.match(takeWritten(deps, ID), { id: ID, status: 'SUBMITTED', modifiedDate: 'b', requisitionLineItems: [] });
});

t.test('a handed-over value is kept uncloned for take; peek still gives copies', async (t) => {
  const recent = new RecentAnswers();
  const requisition = { id: ID, status: 'SUBMITTED', requisitionLineItems: [{ requestedQuantity: 5 }] };
  recent.keep('k', requisition);
  const peeked = recent.peek<typeof requisition>('k')!;
  t.not(peeked, requisition, 'peek: a copy');
  peeked.requisitionLineItems[0].requestedQuantity = 7;
  t.equal(requisition.requisitionLineItems[0].requestedQuantity, 5, 'changing the copy leaves the kept value');
  t.equal(recent.take('k'), requisition, 'take: the very object handed over, no clone');
  t.equal(recent.take('k'), undefined, '…once');

  const deps = { recent } as unknown as OpenLmisDeps;
  const filled = {
    id: ID,
    status: 'INITIATED',
    modifiedDate: 'a',
    requisitionLineItems: [{ id: 'l1' }],
  } as RequisitionDto;
  rememberWritten(deps, filled, { status: 'SUBMITTED', modifiedDate: 'b' });
  const back = takeWritten(deps, ID)!;
  t.equal(back.requisitionLineItems, filled.requisitionLineItems, 'the written requisition: lines shared, not cloned');
  t.equal(filled.status, 'INITIATED', 'the answer itself is not written into');
  t.equal(back.status, 'SUBMITTED');
});

t.test('any write sent for a requisition drops its kept copy; reads do not', async (t) => {
  const recent = new RecentAnswers();
  const deps = { recent } as unknown as OpenLmisDeps;
  const sent: LmisRequest[] = [];
  const inner = {
    call: async (req: LmisRequest) => void sent.push(req),
    send: async (req: LmisRequest) => void sent.push(req),
  } as unknown as LmisClient;
  const client = forgettingWrittenOnWrite(inner, recent);
  const keep = () =>
    rememberWritten(deps, { id: ID, status: 'INITIATED' } as RequisitionDto, {
      status: 'SUBMITTED',
      modifiedDate: 'x',
    });
  keep();
  await client.call({ method: 'GET', path: `/api/requisitions/${ID}` });
  t.ok(takeWritten(deps, ID), 'a GET leaves it');
  for (const req of [
    { method: 'PUT' as const, path: `/api/requisitions/${ID}` },
    { method: 'PUT' as const, path: `/api/requisitions/${ID.toUpperCase()}/skip` },
    { method: 'DELETE' as const, path: `/api/requisitions/${ID}` },
  ]) {
    keep();
    await client.send(req);
    t.equal(takeWritten(deps, ID), undefined, `${req.method} ${req.path} drops it`);
  }
  t.equal(sent.length, 4, 'every request still reaches the client');
});

t.test('Location search cursors: what the server gives it takes back, anything else is a 400', async (t) => {
  t.same(decodeCursor(undefined), { facilityPage: 0 });
  t.same(decodeCursor(encodeCursor({ facilityPage: 3 })), { facilityPage: 3 });
  t.same(decodeCursor(encodeCursor({ zone: 40 })), { zone: 40 });
  const statusOf = (cursor: string): number | undefined => {
    try {
      decodeCursor(cursor);
    } catch (err) {
      return (err as { status?: number }).status;
    }
    return undefined;
  };
  for (const bad of ['', 'x1', 'f-1', 'z1.5', 'f1234567890']) t.equal(statusOf(bad), 400, `'${bad}' refused`);
});

t.test('a shared answer is frozen once and peeked without a copy', async (t) => {
  let now = 1_000;
  const recent = new RecentAnswers(5_000, () => now);
  const periods = [{ id: 'p1', processingSchedule: { code: 'SCH001' }, requisitionId: null }];
  recent.share('periods', periods);
  const peeked = recent.peek<typeof periods>('periods')!;
  t.equal(peeked, periods, 'the value itself, not a clone');
  t.ok(Object.isFrozen(peeked[0].processingSchedule), 'frozen all the way down');
  t.throws(() => {
    (peeked[0].processingSchedule as { code: string }).code = 'changed';
  }, TypeError);
  t.equal(recent.peek<typeof periods>('periods')![0].processingSchedule.code, 'SCH001', 'no reader can change it');
  now += 5_000;
  t.equal(recent.peek('periods'), undefined, 'and it expires like any answer');
});
