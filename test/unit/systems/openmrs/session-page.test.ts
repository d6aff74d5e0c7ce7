/**
 * The session login (GET /ws/rest/v1/session with Basic) answered 200 by a gateway's login page
 * instead of OpenMRS's session JSON. Only `{"authenticated": false}` says the password is wrong;
 * a page says nothing about it. Before, the page was taken as a wrong password: a permanent
 * "check openmrs.username and openmrs.password", so one blip of the gateway refused (and
 * dropped) the write. Now it is transient, says what came, and the write lands on the retry.
 * Connector + sandbox.
 */
import t from 'tap';
import { ADMIN_PASSWORD, LOC } from '../../../../sandbox/openmrs/index.js';
import { LOGIN_PAGE_HOLD_MS } from '../../../../src/upstream/auth/credential-cache.js';
import { amoxicillinCountAtMwangaza } from '../../../support/openmrs-amoxicillin-writes.js';
import { memoryJournal } from './journal.js';
import { recordUpstreamCalls } from './recording.js';
import { failure, sandboxConnector } from './rig.js';

const PAGE = '<!DOCTYPE html><html><head><title>Gateway login</title></head><body>Sign in</body></html>';

t.test('the session answered by a login page: transient, then the count lands once', async (t) => {
  let now = 1_000_000;
  const { sb, c } = await sandboxConnector(t, undefined, { now: () => now });
  // the whole attempt meets the page (the client's own retries too), then the gateway is fine again
  const rule = sb.faults.add({
    method: 'GET',
    path: '/openmrs/ws/rest/v1/session',
    action: { type: 'status', status: 200, body: PAGE },
  });
  const journal = memoryJournal();
  const err = await failure(c.stock!.report(amoxicillinCountAtMwangaza('SESSION-PAGE-1'), journal));
  t.equal(err.transient, true, `not a wrong password: ${err.message}`);
  t.notMatch(err.message, /check openmrs\.username/, 'no wrong diagnosis');
  t.notMatch(err.message, /Sign in|<html/, 'the page is not quoted');
  sb.faults.remove(rule.id);
  now += LOGIN_PAGE_HOLD_MS; // a paged login is held that long (login-page-hold.test.ts)
  const done = await c.stock!.report(amoxicillinCountAtMwangaza('SESSION-PAGE-1'), journal);
  t.equal(done.status, 'COMPLETED');
  t.equal(sb.store.writes['stockoperation.create.stocktake'], 1);
});

t.test('authenticated: false is still a wrong password, permanent', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  sb.faults.add({
    method: 'GET',
    path: '/openmrs/ws/rest/v1/session',
    action: { type: 'status', status: 200, body: { authenticated: false } },
  });
  const err = await failure(c.stock!.report(amoxicillinCountAtMwangaza('SESSION-PAGE-2'), memoryJournal()));
  t.equal(err.transient, false, err.message);
  t.match(err.message, /check openmrs\.username and openmrs\.password/);
});

/** A gateway's maintenance answer: JSON, 200, but no session answer (no `authenticated`). */
const MAINTENANCE = { message: 'OpenMRS is down for maintenance, back soon' };

t.test('the session login answered by a JSON maintenance page: transient, then the count lands once', async (t) => {
  let now = 1_000_000;
  const { sb, c } = await sandboxConnector(t, undefined, { now: () => now });
  const rule = sb.faults.add({
    method: 'GET',
    path: '/openmrs/ws/rest/v1/session',
    action: { type: 'status', status: 200, body: MAINTENANCE },
  });
  const journal = memoryJournal();
  const err = await failure(c.stock!.report(amoxicillinCountAtMwangaza('SESSION-PAGE-3'), journal));
  t.equal(err.transient, true, `not a wrong password: ${err.message}`);
  t.notMatch(err.message, /check openmrs\.username|not authenticated/, 'no wrong diagnosis');
  t.match(err.message, /without 'authenticated'/, 'says what came');
  t.notMatch(err.message, /maintenance, back soon/, 'the page is not quoted');
  t.equal(sb.store.writes['stockoperation.create.stocktake'] ?? 0, 0, 'nothing written meanwhile');
  sb.faults.remove(rule.id);
  now += LOGIN_PAGE_HOLD_MS; // a paged login is held that long (login-page-hold.test.ts)
  const done = await c.stock!.report(amoxicillinCountAtMwangaza('SESSION-PAGE-3'), journal);
  t.equal(done.status, 'COMPLETED');
  t.equal(sb.store.writes['stockoperation.create.stocktake'], 1);
});

t.test('ping on an open session answered by the maintenance page: OpenMRS not answering, not a login', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  await c.ping!(); // the session is open: the page meets the ping's own GET, not the login
  const rule = sb.faults.add({
    method: 'GET',
    path: '/openmrs/ws/rest/v1/session',
    action: { type: 'status', status: 200, body: MAINTENANCE },
  });
  const err = await failure(c.ping!());
  t.equal(err.transient, true, `not a credentials failure: ${err.message}`);
  t.notMatch(err.message, /check openmrs\.username|not authenticated/);
  sb.faults.remove(rule.id);
  await c.ping!();
});

/**
 * Found by review RB: a gateway that answers a session it no longer knows with its JSON page (not
 * its HTML login form) kept getting the same stale cookie, and every write was held until the
 * cookie expired. The page drops that session: the next attempt logs in afresh, once.
 */
t.test("a stale session answered by a gateway's JSON page: the next attempt logs in afresh", async (t) => {
  const { sb, c } = await sandboxConnector(t);
  await c.ping!(); // a session is open
  sb.store.expiredSessionAnswer = 'jsonPage';
  sb.store.expireSessions(); // the gateway no longer knows the cookie, and says so with its page
  const journal = memoryJournal();
  const err = await failure(c.stock!.report(amoxicillinCountAtMwangaza('SESSION-PAGE-5'), journal));
  t.equal(err.transient, true, `held, not refused: ${err.message}`);
  t.notMatch(err.message, /maintenance|gw-7f3a/, "the page's text is not quoted");
  t.notOk(err.message.includes(ADMIN_PASSWORD), 'no password in the error');
  t.equal(sb.store.writes['stockoperation.create.stocktake'] ?? 0, 0, 'nothing written meanwhile');

  const { result: done, calls } = await recordUpstreamCalls(() =>
    c.stock!.report(amoxicillinCountAtMwangaza('SESSION-PAGE-5'), journal),
  );
  t.equal(done.status, 'COMPLETED');
  t.equal(sb.store.writes['stockoperation.create.stocktake'], 1);
  const logins = calls.filter((x) => x.requestHeaders?.authorization);
  t.equal(logins.length, 1, 'one login for the whole attempt');
  t.notOk(JSON.stringify(calls).includes(ADMIN_PASSWORD), 'no password in the recorded calls');
});

t.test('reads that met the JSON page together share one new login (no login storm)', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  await c.ping!();
  sb.store.expiredSessionAnswer = 'jsonPage';
  sb.store.expireSessions();
  const uuids = [LOC.kilima, LOC.mwangaza, LOC.rioAzul, LOC.lumley];
  const met = await Promise.all(uuids.map((u) => failure(c.facilities!.get(u))));
  t.ok(
    met.every((e) => e.transient),
    'each read held: an outage, not "no such location"',
  );
  const { result: read, calls } = await recordUpstreamCalls(() => Promise.all(uuids.map((u) => c.facilities!.get(u))));
  t.same(
    read.map((f) => f?.id),
    uuids,
  );
  t.equal(calls.filter((x) => x.requestHeaders?.authorization).length, 1, 'one login for the four');
  t.equal(sb.store.sessions.size, 1, 'one live session');
});
