/**
 * The session login (GET /ws/rest/v1/session with Basic) answered 200 by a gateway's login page
 * instead of OpenMRS's session JSON. Only `{"authenticated": false}` says the password is wrong;
 * a page says nothing about it. Before, the page was taken as a wrong password: a permanent
 * "check openmrs.username and openmrs.password", so one blip of the gateway refused (and
 * dropped) the write. Now it is transient, says what came, and the write lands on the retry.
 * Connector + sandbox.
 */
import t from 'tap';
import { amoxicillinCountAtMwangaza } from '../../../support/openmrs-amoxicillin-writes.js';
import { memoryJournal } from './journal.js';
import { failure, sandboxConnector } from './rig.js';

const PAGE = '<!DOCTYPE html><html><head><title>Gateway login</title></head><body>Sign in</body></html>';

t.test('the session answered by a login page: transient, then the count lands once', async (t) => {
  const { sb, c } = await sandboxConnector(t);
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
  const { sb, c } = await sandboxConnector(t);
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
