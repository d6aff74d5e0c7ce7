/**
 * Every operator surface gives a job's instants in one form, ISO 8601 UTC (what an operator
 * reads, and the form FHIR uses): the admin API's list and detail of a job, and `cli outbox
 * show`, on both store engines; and the console's job page reads them so. The detail once gave epoch milliseconds where the list gave ISO.
 */
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { outboxCli } from '../../support/outbox-cli.js';
import { jobBody } from '../../../src/admin/ui/outbox-page.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'timestamps-token';
const CREATED = Date.UTC(2026, 11, 4, 9, 0, 0, 123);
const iso = (ms: number) => new Date(ms).toISOString();
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** What `cli outbox <args>` printed on stdout. */
const cli = async (databaseUrl: string, args: string[]) => (await outboxCli(databaseUrl, args)).out;

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await freshStore(engine, t);
    // a job that failed once (an attempt), journaled a step, and was retried by an operator (audit)
    await store.recordWrite(newJob('J1', { createdAt: CREATED, nextAttemptAt: CREATED }));
    await store.claimJobs({
      system: 'openlmis',
      flows: ['order'],
      limit: 1,
      leaseOwner: 'w1',
      leaseMs: 60_000,
      now: CREATED + 1_000,
    });
    await store.putStep('J1', 'initiate', { id: 'req-1' }, CREATED + 1_500);
    await store.finishJob(
      'J1',
      'w1',
      {
        status: 'dead',
        error: { name: 'UpstreamError', status: 502, issues: [{ code: 'transient', diagnostics: 'down' }] },
        audit: { actor: 'outbox', action: 'outbox.dead', subject: 'J1' },
      },
      CREATED + 2_000,
      { jobId: 'J1', startedAt: CREATED + 1_000, endedAt: CREATED + 2_000, attempt: 1, outcome: 'dead' },
    );

    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(outboxAdminRoutes, { prefix: '/admin', store, adminToken: TOKEN });
    t.teardown(() => app.close());
    const get = async (url: string) =>
      (await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } })).json();

    const [listed] = (await get('/admin/outbox/jobs')).jobs;
    const shown = await get('/admin/outbox/jobs/J1');
    t.equal(listed.createdAt, iso(CREATED), 'the list: ISO');
    t.equal(shown.job.createdAt, listed.createdAt, 'the detail gives createdAt as the list does');
    t.equal(shown.job.nextAttemptAt, listed.nextAttemptAt, 'and nextAttemptAt');
    t.equal(shown.job.updatedAt, iso(CREATED + 2_000), 'updatedAt: when it went dead');
    t.match(shown.attempts, [{ startedAt: iso(CREATED + 1_000), endedAt: iso(CREATED + 2_000), outcome: 'dead' }]);
    t.match(shown.steps, [{ step: 'initiate', completedAt: iso(CREATED + 1_500) }]);
    t.ok(shown.audit.length > 0, 'the dead letter is audited');
    t.ok(
      shown.audit.every((a: { at: unknown }) => typeof a.at === 'string' && ISO.test(a.at as string)),
      'audit entries: ISO',
    );

    // the console's job page renders the admin API's answer as it comes
    const page = jobBody(shown, CREATED + 3_000).value;
    t.same(
      [...page.matchAll(/<time datetime="([^"]+)">/g)].map((m) => m[1]),
      [iso(CREATED), iso(CREATED + 1_500), iso(CREATED + 2_000), iso(CREATED + 2_000)],
      'the timeline: accepted, step, attempt and dead letter, in order, at their instants',
    );
    t.match(
      page,
      /Attempt 1: <strong[^>]*>failed, given up<\/strong> \(the attempt took 1 s\)/,
      "the attempt's duration",
    );
    await store.recordWrite(newJob('J2', { createdAt: CREATED, nextAttemptAt: CREATED + 120_000 }));
    const waiting = jobBody(await get('/admin/outbox/jobs/J2'), CREATED + 60_000).value;
    t.match(waiting, /next attempt in 1 min/, "a pending job's next attempt, from the API's instant");

    const printed = JSON.parse(await cli(databaseUrl, ['show', 'J1']));
    t.same(printed, shown, '`cli outbox show` prints what the admin API answers');
    const listedByCli = JSON.parse(await cli(databaseUrl, ['list', '--json']));
    t.equal(
      listedByCli.find((j: { id: string }) => j.id === 'J1').createdAt,
      shown.job.createdAt,
      '`cli outbox list --json` alike',
    );

    // an operator's retry answers with the job as the detail gives it
    const retried = (
      await app.inject({
        method: 'POST',
        url: '/admin/outbox/jobs/J1/retry?status=dead',
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).json();
    t.equal(retried.job.status, 'pending', 'the retry requeued the job');
    t.equal(retried.job.createdAt, iso(CREATED), "the retry's answer: createdAt ISO");
    t.match(retried.job.nextAttemptAt, ISO, 'nextAttemptAt ISO');
    t.match(retried.job.updatedAt, ISO, 'updatedAt ISO');
    t.equal(retried.job.nextAttemptAt, (await get('/admin/outbox/jobs/J1')).job.nextAttemptAt, 'as the detail then');
  });
}
