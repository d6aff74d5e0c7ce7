/**
 * serverZoneNow asks system/info again (a DHIS2 restarted in another zone while the mediator ran
 * on: review RI of 36a5c1e8): its answer becomes the known one, and a failed question keeps the
 * known zone rather than failing the caller. An answer younger than ZONE_REUSE_MS is reused and
 * callers asking at once share one question (review RX: a search, read or write asking each time
 * doubled the calls of the hot paths; a DHIS2 restart takes minutes). Through the client, the
 * facility capability and the DHIS2 sandbox; the client's clock is moved, not waited on.
 */
import t from 'tap';
import { createDhis2Client, ZONE_REUSE_MS } from '../../../../src/systems/dhis2/client.js';
import { createFacilityCapability, createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { LOGIN_PAGE, startHarness } from './harness.js';
import { runInAttempt, type AttemptScope } from '../../../../src/upstream/attempt-scope.js';
import { AttemptTimeoutError } from '../../../../src/outbox/errors.js';

const infoCalls = (h: Awaited<ReturnType<typeof startHarness>>) => h.sandbox.state.count('GET', '/api/system/info');

t.test('serverZoneNow: a new zone is read and kept; a failure keeps the known one', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  t.equal(await h.client.serverZone(), 'Asia/Colombo');
  h.sandbox.state.timeZone = 'America/Bogota';
  t.equal(await h.client.serverZone(), 'Asia/Colombo', 'asked once: the known answer');
  h.advance(ZONE_REUSE_MS);
  t.equal(await h.client.serverZoneNow(), 'America/Bogota', 'asked again');
  t.equal(await h.client.serverZone(), 'America/Bogota', 'the new answer is the known one');
  t.equal(infoCalls(h), 2);

  h.sandbox.state.timeZone = 'Asia/Kolkata';
  h.advance(ZONE_REUSE_MS);
  h.sandbox.faults.failNext('GET', '/api/system/info', 503, 2);
  t.equal(await h.client.serverZoneNow(), 'America/Bogota', 'a failed question keeps the known zone');
  t.equal(await h.client.serverZoneNow(), 'Asia/Kolkata', 'a quick failure is not reused: asked again next time');
  t.equal(await h.client.serverZone(), 'Asia/Kolkata');
});

// review RD of 7cc5e02f: every failure kept the old zone 30 s more, but a quick failure is what a
// DHIS2 restarting answers, the very time its zone moves: back within those 30 s, its writes
// (receipts, stock events, consignments) went out stamped in the old zone, hours off
t.test('DHIS2 back from a restart in another zone right after a quick failure: read at once', async (t) => {
  const faults = [
    { action: { type: 'status', status: 503 }, what: '503' },
    { action: { type: 'status', status: 502 }, what: "a gateway's 502" },
    { action: { type: 'reset' }, what: 'a connection reset' },
  ] as const;
  for (const { action, what } of faults) {
    const h = await startHarness({ timeZone: 'Asia/Colombo' });
    t.teardown(h.close);
    t.equal(await h.client.serverZoneNow(), 'Asia/Colombo');
    h.advance(ZONE_REUSE_MS);
    h.sandbox.faults.add({ method: 'GET', path: '/api/system/info', action, times: 2 });
    t.equal(await h.client.serverZoneNow(), 'Asia/Colombo', `${what}: the known zone kept`);
    h.sandbox.state.timeZone = 'America/Bogota';
    t.equal(await h.client.serverZoneNow(), 'America/Bogota', `${what}: back in Bogota, read by the next call`);
  }
});

t.test("a gateway's 504 (DHIS2 not answering it in time) is put off ZONE_REUSE_MS like a timeout", async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  t.equal(await h.client.serverZoneNow(), 'Asia/Colombo');
  h.advance(ZONE_REUSE_MS);
  h.sandbox.faults.failNext('GET', '/api/system/info', 504, 2);
  t.equal(await h.client.serverZoneNow(), 'Asia/Colombo', 'the known zone kept');
  h.sandbox.state.timeZone = 'America/Bogota';
  t.equal(await h.client.serverZoneNow(), 'Asia/Colombo', 'not asked again at once');
  t.equal(infoCalls(h), 3, 'the first question, then the 504 and its retry');
  h.advance(ZONE_REUSE_MS);
  t.equal(await h.client.serverZoneNow(), 'America/Bogota', 'asked again ZONE_REUSE_MS later');
});

// s36 Left [Z1]: a failed question left the known answer stale, so every wave of calls after it
// waited for system/info to fail again (its timeout and retries) before DHIS2 was called
t.test('a hanging system/info is asked once per ZONE_REUSE_MS, not once per wave of calls', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  const caps = createFacilityCapability(h.client, createOrgUnitReader(h.client));
  const searches = () => caps.search({ lastUpdated: [{ from: '2026-12-01T09:00:00Z' }] });
  await searches();
  const asked = infoCalls(h);

  h.advance(ZONE_REUSE_MS);
  // no answer: each question waits out the timeout (the harness's 3 s), and its retry as long
  h.sandbox.faults.add({ method: 'GET', path: '/api/system/info', action: { type: 'hang' }, times: 1_000 });
  for (let wave = 0; wave < 5; wave++) {
    await t.resolves(Promise.all(Array.from({ length: 3 }, searches)), `wave ${wave} works on the known zone`);
    h.advance(ZONE_REUSE_MS / 10);
  }
  t.equal(infoCalls(h), asked + 2, 'five waves within ZONE_REUSE_MS: one question (and its retry)');

  h.advance(ZONE_REUSE_MS);
  await searches();
  t.equal(infoCalls(h), asked + 4, 'past it: asked (and retried) once more');
});

// review SB of 635d62cd: a zone question asked for a delivery attempt ended with the attempt
// (its read signal): by default (dhis2.timeoutMs 20 s, two retries) a hanging system/info
// outlasts outbox.attemptTimeoutMs (60 s), so it failed as the attempt's abort, not a timeout,
// was never put off, and every next attempt waited on system/info again until dead-lettered
t.test('a hanging zone question outlives the attempt that asked it, and is put off', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  t.equal(await h.client.serverZoneNow(), 'Asia/Colombo');
  const asked = infoCalls(h);
  h.advance(ZONE_REUSE_MS);
  h.sandbox.faults.add({ method: 'GET', path: '/api/system/info', action: { type: 'hang' }, times: 1_000 });

  const abandon = new AbortController();
  const attempt: AttemptScope = { abandonedBy: undefined, signal: abandon.signal };
  const zone = runInAttempt(attempt, () => h.client.serverZoneNow());
  while (infoCalls(h) === asked) await new Promise((r) => setTimeout(r, 5));
  abandon.abort(new AttemptTimeoutError(60_000, 'dhis2'));
  t.equal(await zone, 'Asia/Colombo', 'the known zone kept');
  t.equal(infoCalls(h), asked + 2, 'the question ran to its timeout (and its retry)');

  t.equal(await h.client.serverZoneNow(), 'Asia/Colombo', 'the next caller does not ask again');
  t.equal(infoCalls(h), asked + 2, 'put off ZONE_REUSE_MS, as after any timeout');
});

t.test('serverZoneNow: an answer reused for ZONE_REUSE_MS, one question for callers at once', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  // a client whose clock stands still unless moved: the reuse is not left by a slow machine
  let at = Date.now();
  const client = createDhis2Client(() => h.settings, { retries: 1, retryDelayMs: 5, now: () => at });
  t.teardown(() => client.close());
  const caps = createFacilityCapability(client, createOrgUnitReader(client));
  const searches = () => caps.search({ lastUpdated: [{ from: '2026-12-01T09:00:00Z' }] });

  await searches();
  const first = infoCalls(h);
  t.equal(first, 1, 'the first search asks system/info once (version and zone)');
  for (let i = 0; i < 20; i++) await searches();
  await Promise.all(Array.from({ length: 10 }, searches));
  t.equal(infoCalls(h), first, '30 more searches within the reuse: no more system/info');

  h.sandbox.state.timeZone = 'America/Bogota';
  at += ZONE_REUSE_MS;
  const zones = await Promise.all(Array.from({ length: 10 }, () => client.serverZoneNow()));
  t.same(new Set(zones), new Set(['America/Bogota']), 'past the reuse: the new zone');
  t.equal(infoCalls(h), first + 1, 'ten callers at once share one question');
  await Promise.all(Array.from({ length: 10 }, searches));
  t.equal(infoCalls(h), first + 1, 'and its answer is reused by the searches after it');
});

t.test('a failing system/info: a search on a known zone works; the first of a process fails once', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  const caps = createFacilityCapability(h.client, createOrgUnitReader(h.client));
  const search = () => caps.search({ lastUpdated: [{ from: '2026-12-01T09:00:00Z' }] });

  // the first question of the process: no zone known, so the search cannot read times (as before)
  h.sandbox.faults.failNext('GET', '/api/system/info', 503, 2);
  const failed = await search().catch((e: unknown) => e);
  t.ok(failed instanceof Error, 'the search fails: no zone is known yet');
  t.equal(infoCalls(h), 2, 'asked once (the transport retry), not asked a second time by serverZoneNow');
  await t.resolves(search(), 'asked again by the next search, which works');

  // a zone known: a failing question (503, a proxy's login page) keeps it, the search works
  const asked = infoCalls(h);
  h.advance(ZONE_REUSE_MS);
  h.sandbox.faults.failNext('GET', '/api/system/info', 503, 2);
  await t.resolves(search(), 'a search while system/info answers 503 works on the known zone');
  h.advance(ZONE_REUSE_MS);
  const page = { type: 'status' as const, status: 200, body: LOGIN_PAGE };
  h.sandbox.faults.add({ method: 'GET', path: '/api/system/info', action: page, times: 2 });
  await t.resolves(search(), 'a search while system/info answers a login page works on the known zone');
  t.equal(infoCalls(h), asked + 4, 'each asked (and retried) once');
});

// review T4: the client's clock is the wall clock (Date.now), which an NTP step or a VM resume can
// move back; an answer "from the future" is no fresh one, or its zone was reused until the clock
// caught up (an hour here), past a DHIS2 restart in another zone
t.test('serverZoneNow: after the clock steps back, the answer is not reused', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  t.equal(await h.client.serverZoneNow(), 'Asia/Colombo');
  h.advance(-3_600_000);
  h.sandbox.state.timeZone = 'America/Bogota';
  h.advance(ZONE_REUSE_MS);
  t.equal(await h.client.serverZoneNow(), 'America/Bogota', 'asked again (before: Colombo for the hour)');
  t.equal(infoCalls(h), 2);
  t.equal(await h.client.serverZoneNow(), 'America/Bogota', 'the new answer reused from its own time');
  t.equal(infoCalls(h), 2, 'not asked a third time');
});
