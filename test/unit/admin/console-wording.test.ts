/**
 * The console says what each figure is (s19-X2 defect 5): an attempt's duration is the attempt's,
 * not a wait; one attempt is "1 attempt"; a delivered job's kept error is an earlier attempt's,
 * not its state; the mediator's own database has no circuit breaker; a job's next run is given as
 * the started times beside it are.
 */
import t from 'tap';
import { jobBody } from '../../../src/admin/ui/outbox-page.js';
import { systemsBody } from '../../../src/admin/ui/systems-page.js';
import { propagationBody } from '../../../src/admin/ui/propagation-page.js';
import type { JobDetail } from '../../../src/outbox/operator.js';

const AT = Date.UTC(2026, 11, 4, 9, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

/** A job's detail as the admin API answers it: delivered on its first attempt after a 503 once. */
function detail(status: 'pending' | 'done', attempts: number): JobDetail {
  return {
    job: {
      id: 'J1',
      flow: 'stock',
      system: 'openlmis',
      idempotencyKey: 'K-1',
      status,
      attempts,
      createdAt: iso(AT),
      updatedAt: iso(AT + 31_000),
      nextAttemptAt: iso(AT + 30_612),
      lastError: 'HTTP 503 from openlmis',
    } as JobDetail['job'],
    steps: [],
    audit: [],
    attempts: [
      {
        jobId: 'J1',
        attempt: 1,
        outcome: 'retry',
        startedAt: iso(AT),
        endedAt: iso(AT + 612),
        detail: 'HTTP 503 from openlmis',
      },
    ],
    rerunUpdates: [],
  };
}

t.test("an attempt's duration is said to be the attempt's", async (t) => {
  const page = jobBody(detail('pending', 1), AT + 1_000).value;
  t.match(page, /Attempt 1: <strong[^>]*>failed, to be retried<\/strong> \(the attempt took 612 ms\): HTTP 503/);
  t.notMatch(page, /retried<\/strong> after 612 ms/, 'not read as the wait before the retry');
  t.match(page, /· 1 attempt in the current budget/, 'one attempt, singular');
  t.match(page, /Last error: <span data-testid="last-error">HTTP 503/, "a pending job's error is its last");
  t.match(jobBody(detail('pending', 2), AT).value, /· 2 attempts in the current budget/);
});

t.test("a delivered job's kept error is an earlier attempt's", async (t) => {
  const page = jobBody(detail('done', 2), AT + 60_000).value;
  t.notMatch(page, /Last error/, 'not shown as where the job stands');
  t.match(page, /Error of an earlier attempt \(delivered since\): <span data-testid="last-error">HTTP 503/);
});

t.test("the mediator's own database has no circuit breaker", async (t) => {
  const page = systemsBody(
    [
      { name: 'store', ready: { status: 'ok' } },
      { name: 'openlmis', ready: { status: 'ok' } },
      { name: 'dhis2', ready: { status: 'ok' }, breaker: 'closed' },
    ],
    [],
  ).value;
  const cell = (name: string) => page.match(new RegExp(`<tr data-system="${name}">(?:.|\\n)*?</tr>`))![0];
  t.match(cell('store'), />—<\/span><\/td>/, 'the store: a dash');
  t.notMatch(cell('store'), /no writes yet/, 'not "no writes yet"');
  t.match(cell('openlmis'), /no writes yet/, 'an upstream not written to yet says so');
  t.match(cell('dhis2'), /closed \(writes flow\)/);
});

t.test("a job's next run is given in the started times' form", async (t) => {
  const next = '2026-12-07T02:30:00.000Z';
  const page = propagationBody({
    counts: {},
    items: [],
    filters: { limit: 100, offset: 0 },
    total: 0,
    jobs: new Map([
      [
        'stockToDhis2',
        { name: 'stockToDhis2', description: 'd', setting: 's', schedule: '30 2 * * 1', nextRun: next, lastRuns: [] },
      ],
    ]),
    notices: [],
    session: { csrf: 'c' } as never,
    now: AT,
  }).value;
  t.match(page, `<dt>Next run (UTC)</dt><dd><time datetime="${next}">2026-12-07 02:30:00</time></dd>`);
  t.notMatch(page, `<dd>${next}</dd>`, 'not the raw ISO string');
});

t.test('a superseded job says it was never sent, and whose ids it shows', async (t) => {
  const d = detail('done', 1);
  d.job.result = { system: 'openlmis', ids: { proofOfDelivery: 'POD-9' }, status: 'superseded' };
  const page = jobBody(d, AT + 60_000).value;
  t.match(
    page,
    /Superseded: not sent\. A later write for the same record made it moot; the ids below are those of that write\./,
  );
  t.match(page, /Error of an earlier attempt \(superseded since\)/, 'not "delivered since": it was never delivered');
  t.notMatch(page, /delivered since/);
  t.match(page, /Upstream ids \(of the write that superseded it\)<\/h2>/);
  const delivered = jobBody(detail('done', 2), AT + 60_000).value;
  t.notMatch(delivered, /Superseded/, 'a job delivered itself says nothing of it');
});
