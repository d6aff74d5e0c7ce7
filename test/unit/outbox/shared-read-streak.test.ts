/**
 * Which answers of another shape different jobs met are the system's (other-shape-streak.ts): the
 * same REST read (a GET every write makes first, OpenMRS's party list behind a gateway in
 * maintenance) is; the same write or GraphQL query (posted: one poisoned item's look-up several
 * orders name) stays one request's. Keys as askedKey (upstream/http.ts) makes them.
 */
import t from 'tap';
import { OtherShapeStreak } from '../../../src/outbox/other-shape-streak.js';

const WINDOW_MS = 60_000;
const PARTIES = 'GET /openmrs/ws/rest/v1/stockmanagement/party?v=default';

t.test('different jobs meeting the same GET answered oddly: the system', async (t) => {
  const streak = new OtherShapeStreak(() => WINDOW_MS);
  t.notOk(streak.note('job-a', PARTIES, 1_000), 'one job: not yet');
  t.notOk(streak.note('job-a', PARTIES, 2_000), 'the same job again: still one');
  t.ok(streak.note('job-b', PARTIES, 3_000), 'another job on the same read: the system');
});

t.test('different jobs meeting the same posted request: one request (a poisoned record)', async (t) => {
  const streak = new OtherShapeStreak(() => WINDOW_MS);
  const lookup = 'POST /graphql #u7Yb2kq0TgQm1nL3aZ9xQw';
  for (let i = 0; i < 6; i++) t.notOk(streak.note(`order-${i}`, lookup, 1_000 + i), `order ${i}: not the system's`);
  const write = 'POST /openmrs/ws/rest/v1/stockmanagement/stockoperation #Zx1Yq7mN0pK2rT4vW6sU8a';
  const writes = new OtherShapeStreak(() => WINDOW_MS);
  t.notOk(writes.note('job-a', write, 0), 'a write: one job');
  t.notOk(writes.note('job-b', write, 1), 'the same write body by another job: still one request');
});

t.test('the same GET met long ago by another job does not join', async (t) => {
  const streak = new OtherShapeStreak(() => WINDOW_MS);
  streak.note('job-a', PARTIES, 0);
  t.notOk(streak.note('job-b', PARTIES, WINDOW_MS + 1), 'out of the window');
  streak.clear();
  streak.note('job-a', PARTIES, 0);
  streak.clear();
  t.notOk(streak.note('job-b', PARTIES, 1), 'a success between');
});

t.test('the streak says why: a shared read, or different requests (held however long)', async (t) => {
  const streak = new OtherShapeStreak(() => WINDOW_MS);
  streak.note('job-a', PARTIES, 0);
  t.equal(streak.note('job-b', PARTIES, 1), 'shared-read', 'one GET two jobs met: held only for a while');
  t.equal(streak.note('job-c', 'POST /api/orders #c', 2), 'requests', 'another request of another job');
  const fresh = new OtherShapeStreak(() => WINDOW_MS);
  fresh.note('job-a', 'POST /api/orders #a', 0);
  t.equal(fresh.note('job-b', 'POST /api/orders #b', 1), 'requests', 'different writes: the system');
});
