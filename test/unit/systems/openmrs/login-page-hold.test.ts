/**
 * A gateway in front of OpenMRS that answers every call with its own page, the session login too.
 * Such a page says nothing about the password, so it is no refusal (session-page.test.ts); but
 * before, nothing was held either: every wave of calls (each /ready probe, each retry of each
 * write) sent the Basic credentials through the gateway once more. Now a login the gateway paged
 * is answered from memory for LOGIN_PAGE_HOLD_MS with the same settings, as a refused one is for
 * its own hold, and the gateway back is used once the hold ends. Connector + OpenMRS sandbox with
 * a gateway fault on the session login; the hold's clock is the connector's (moved by the test).
 */
import t from 'tap';
import { ADMIN_PASSWORD, startOpenMrsSandbox } from '../../../../sandbox/openmrs/index.js';
import { createOpenMrsConnector } from '../../../../src/systems/openmrs/index.js';
import { LOGIN_PAGE_HOLD_MS } from '../../../../src/upstream/auth/credential-cache.js';
import { amoxicillinCountAtMwangaza } from '../../../support/openmrs-amoxicillin-writes.js';
import { memoryJournal } from './journal.js';
import { recordUpstreamCalls } from './recording.js';
import { failure } from './rig.js';

const SESSION = '/openmrs/ws/rest/v1/session';
const LOGIN_FORM = '<!DOCTYPE html><html><head><title>Gateway login</title></head><body>Sign in</body></html>';
const BAD_GATEWAY = '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';

const PAGES = [
  { name: 'a login form, 200', status: 200, body: LOGIN_FORM },
  { name: 'a maintenance JSON, 200', status: 200, body: { message: 'maintenance' } },
  { name: "a proxy's 502 page", status: 502, body: BAD_GATEWAY },
];

for (const page of PAGES) {
  t.test(`the login answered by ${page.name}: one login for a wave of calls, held until the hold ends`, async (t) => {
    const sb = await startOpenMrsSandbox();
    let now = 5_000_000;
    const c = createOpenMrsConnector(
      {
        'openmrs.baseUrl': sb.url,
        'openmrs.username': 'admin',
        'openmrs.password': ADMIN_PASSWORD,
        'openmrs.timeoutMs': 3000,
      },
      { retryDelayMs: 10, now: () => now },
    );
    t.teardown(async () => {
      await c.close?.();
      await sb.close();
    });
    const rule = sb.faults.add({ method: 'GET', path: SESSION, action: { type: 'status', ...page } });
    const journal = memoryJournal();
    const logins = (calls: { url: string }[]) => calls.filter((x) => new URL(x.url).pathname === SESSION).length;

    // a wave: probes and a write's attempt (with the client's own retries), one after another
    const wave = await recordUpstreamCalls(async () => {
      const errors = [];
      for (let i = 0; i < 3; i++) errors.push(await failure(c.ping!()));
      errors.push(await failure(c.stock!.report(amoxicillinCountAtMwangaza('LOGIN-PAGE-HOLD'), journal)));
      return errors;
    });
    t.same(
      wave.result.map((e) => e.transient),
      [true, true, true, true],
      'each held as transient, not a wrong password',
    );
    t.ok(
      wave.result.every((e) => !/check openmrs\.username|Sign in|<h1>|"message"/.test(e.message)),
      'no wrong diagnosis, the page not quoted',
    );
    t.equal(logins(wave.calls), 1, 'the credentials went through the gateway once for the whole wave');
    t.equal(sb.store.writes['stockoperation.create.stocktake'] ?? 0, 0, 'nothing written');

    sb.faults.remove(rule.id); // the gateway is back
    now += LOGIN_PAGE_HOLD_MS - 1;
    const stillHeld = await recordUpstreamCalls(() => failure(c.ping!()));
    t.equal(stillHeld.result.transient, true, 'still held just before the hold ends');
    t.equal(logins(stillHeld.calls), 0, 'and no login sent');

    now += 1;
    const after = await recordUpstreamCalls(() =>
      c.stock!.report(amoxicillinCountAtMwangaza('LOGIN-PAGE-HOLD'), journal),
    );
    t.equal(after.result.status, 'COMPLETED', 'the gateway back is used once the hold ends');
    t.equal(logins(after.calls), 1, 'with one new login');
    t.equal(sb.store.writes['stockoperation.create.stocktake'], 1, 'the count written once');
  });
}

t.test('a 502 without a page (OpenMRS itself down) is an outage: not held', async (t) => {
  const sb = await startOpenMrsSandbox();
  const c = createOpenMrsConnector(
    { 'openmrs.baseUrl': sb.url, 'openmrs.username': 'admin', 'openmrs.password': ADMIN_PASSWORD },
    { retryDelayMs: 10, now: () => 5_000_000 },
  );
  t.teardown(async () => {
    await c.close?.();
    await sb.close();
  });
  const rule = sb.faults.add({ method: 'GET', path: SESSION, action: { type: 'status', status: 502 } });
  t.equal((await failure(c.ping!())).transient, true);
  sb.faults.remove(rule.id);
  await c.ping!(); // the clock never moved: a held outage would fail here
});
