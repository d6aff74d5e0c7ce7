/**
 * What the mediator's log says of deliveries that do not end at once, through the real mediator,
 * the DHIS2 connector and its sandbox, on both store engines: a transient failure is warned at
 * every charged retry (with when it is tried next), a facility waiting for its parent is said once
 * at info and its repeats at debug, a refusal after the client got 202 is warned and one answered
 * in time is not, and the circuit breaker's opening, probe and closing are said. An upstream that
 * echoes the mediator's DHIS2 token in its error body leaves no trace of it in any line.
 */
import t, { type Test } from 'tap';
import { SEED_API_TOKEN } from '../../../sandbox/dhis2/index.js';
import {
  createdId,
  districtAfterFailures,
  facilityJobOf,
  mfrLocation,
  startDhis2RigOn,
  type CreateFailure,
} from '../../support/dhis2-e2e.js';
import { logLines, type LogLine } from '../../support/log-lines.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';

const DEBUG = 20;
const INFO = 30;
const WARN = 40;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const of = (lines: LogLine[], msg: RegExp, jobId?: string) =>
  lines.filter((l) => msg.test(l.msg) && (jobId === undefined || l.jobId === jobId));

/** DHIS2's refusal of a new org unit: a 503 whose body repeats the mediator's token. */
const ECHOING_503: CreateFailure = {
  action: {
    type: 'status',
    status: 503,
    body: {
      httpStatus: 'Service Unavailable',
      httpStatusCode: 503,
      status: 'ERROR',
      message: `upstream pool exhausted for ApiToken ${SEED_API_TOKEN}`,
    },
  },
};

for (const engine of engineCases()) {
  t.test(
    `a parent's transient failures are warned at each retry, its waiting child said once (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const log = logLines();
      const rig = await startDhis2RigOn(
        t,
        engine,
        { facilities: { default: 'dhis2' } },
        {
          OUTBOX_DEADLINE_MS: '2000',
          OUTBOX_BACKOFF_BASE_MS: '300',
          OUTBOX_BACKOFF_CAP_MS: '600',
          OUTBOX_MAX_ATTEMPTS: '100',
          OUTBOX_BREAKER_FAILURES: '100',
        },
        { logger: log.logger },
      );
      const {
        outage,
        district,
        job: districtJob,
      } = await districtAfterFailures(t, rig, 'MFR-LD1', 'Isoka District', [ECHOING_503]);

      const retries = await until('two retries of the district are said', async () => {
        const found = of(log.lines(), /retrying/, districtJob.id);
        return found.length >= 2 ? found : undefined;
      });
      const first = retries[0];
      t.equal(first.level, WARN, 'a charged retry is a warning');
      t.match(
        first,
        { jobId: districtJob.id, flow: 'facility', system: 'dhis2', attempt: 1, charged: true },
        'with the job, its flow, system and attempt number',
      );
      t.match(first.reason, /503|unavailable|exhausted/i, "with the failure's reason");
      t.match(
        first.reason,
        /pool exhausted for ApiToken \*+$/,
        "the upstream's own words, its echo of the token masked",
      );
      t.match(first.nextAttemptAt, ISO, 'and when it is tried next, as an ISO time');
      t.equal(retries[1].attempt, 2, 'each retry is said, with its own attempt number');

      const child = await rig.fhir(
        'POST',
        '/fhir/Location',
        mfrLocation('MFR-LF1', 'Isoka Health Post', `Location/${createdId(district)}`),
      );
      t.equal(child.status, 202, 'the facility waits for its queued parent');
      const childJob = await facilityJobOf(rig, 'Isoka Health Post');
      await until('the facility has looked for its parent three times', async () =>
        of(log.lines(), /^outbox: delivery deferred/, childJob.id).length >= 3 ? true : undefined,
      );
      rig.dhis2.faults.remove(outage.id);
      await until('both are delivered', async () =>
        (await facilityJobOf(rig, 'Isoka Health Post')).status === 'done' ? true : undefined,
      );

      const deferrals = of(log.lines(), /^outbox: delivery deferred/, childJob.id);
      t.equal(deferrals.filter((l) => l.level >= INFO).length, 1, 'the wait is said once at info');
      t.ok(
        deferrals.slice(1).every((l) => l.level === DEBUG),
        `its ${deferrals.length - 1} repeats go to debug`,
      );
      t.match(
        deferrals[0],
        { jobId: childJob.id, system: 'dhis2', charged: false, reason: /parent Location\/.* is still waiting/ },
        'with its reason, uncharged',
      );
      t.match(deferrals[0].nextAttemptAt, ISO);

      const secret = [SEED_API_TOKEN, Buffer.from(SEED_API_TOKEN).toString('base64')];
      const leaked = log.raw.filter((l) => secret.some((s) => l.includes(s)));
      t.same(leaked, [], 'the token DHIS2 echoed is in no log line');
    },
  );
}

/** The mediator on `engine` with DHIS2 as the facilities' system and its log kept in memory. */
async function loggedRig(t: Test, engine: EngineCase, env: Record<string, string>) {
  const log = logLines();
  const rig = await startDhis2RigOn(t, engine, { facilities: { default: 'dhis2' } }, env, { logger: log.logger });
  return { rig, log };
}

for (const engine of engineCases()) {
  t.test(
    `a refusal after the client got 202 is warned; one answered in time is not (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { rig, log } = await loggedRig(t, engine, { OUTBOX_DEADLINE_MS: '2000', OUTBOX_MAX_ATTEMPTS: '5' });
      // the first attempt fails for now (the client is answered 202), the worker's retry is refused
      const {
        region,
        rules: [, conflict],
      } = await districtAfterFailures(t, rig, 'MFR-LR1', 'Nakonde District', [
        { times: 1 },
        { times: 1, action: { type: 'status', status: 409 } },
      ]);
      const lateJob = await until('the retry is refused', async () => {
        const job = await facilityJobOf(rig, 'Nakonde District');
        return job.status === 'rejected' ? job : undefined;
      });
      const said = await until('the refusal is said', async () => {
        const found = of(log.lines(), /refused a write already answered 202/, lateJob.id);
        return found.length ? found : undefined;
      });
      t.equal(said.length, 1, 'once');
      t.equal(said[0].level, WARN, 'as a warning: nobody else hears of it');
      t.match(said[0], { jobId: lateJob.id, flow: 'facility', system: 'dhis2', attempt: 2, reason: /409/ });

      t.equal(rig.dhis2.faults.list().find((r) => r.id === conflict.id)!.hits, 1, 'the refusal rule was used');
      rig.dhis2.faults.add({
        method: 'POST',
        path: '/api/organisationUnits',
        times: 1,
        action: { type: 'status', status: 409 },
      });
      const early = await rig.fhir(
        'POST',
        '/fhir/Location',
        mfrLocation('MFR-LR2', 'Chama District', `Location/${region}`),
      );
      t.ok(
        early.status >= 400 && early.status < 500,
        `refused within the deadline: the client is told (${early.status})`,
      );
      const earlyJob = await facilityJobOf(rig, 'Chama District');
      t.equal(earlyJob.status, 'rejected');
      t.same(of(log.lines(), /refused/, earlyJob.id), [], "the client's own refusal is not in the operator's log");
    },
  );

  t.test(
    `DHIS2's circuit breaker says when it opens, lets a probe through and closes (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { rig, log } = await loggedRig(t, engine, {
        OUTBOX_DEADLINE_MS: '2000',
        OUTBOX_MAX_ATTEMPTS: '10',
        OUTBOX_BREAKER_FAILURES: '2',
        OUTBOX_BREAKER_OPEN_MS: '1000',
      });
      // two failures open the breaker, the first probe fails (open again), the second closes it
      await districtAfterFailures(t, rig, 'MFR-LB1', 'Mbala District', [{ times: 3 }]);
      await until('the write is delivered', async () =>
        (await facilityJobOf(rig, 'Mbala District')).status === 'done' ? true : undefined,
      );
      await until('the breaker is said closed', async () =>
        of(log.lines(), /circuit breaker closed/).length ? true : undefined,
      );
      const said = of(log.lines(), /circuit breaker/);
      t.same(
        said.map((l) => l.msg),
        [
          'outbox: circuit breaker opened; writes are queued until its probe',
          'outbox: circuit breaker lets a probe through',
          'outbox: circuit breaker probe failed; open again',
          'outbox: circuit breaker lets a probe through',
          'outbox: circuit breaker closed; deliveries resume',
        ],
        'each change of the breaker, in order',
      );
      t.same(
        said.map((l) => l.level),
        [WARN, INFO, WARN, INFO, INFO],
        'opening warned, probe and closing at info',
      );
      t.ok(
        said.every((l) => l.system === 'dhis2'),
        'each names the system',
      );
      t.match(said[0], { consecutiveFailures: 2, probeFailed: false, probeAt: ISO });
      t.ok(
        Date.parse(said[0].probeAt as string) - (said[0].time as number) >= 1000 - 5,
        'the probe is due after outbox.breakerOpenMs',
      );
      t.match(said[2], { probeFailed: true, probeAt: ISO });
    },
  );
}

for (const engine of engineCases()) {
  t.test(
    `a job taken over from a lapsed lease names its previous owner (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { rig, log } = await loggedRig(t, engine, { OUTBOX_DEADLINE_MS: '2000' });
      const { outbox, store } = rig.mediator;
      // no worker while the "dead instance" takes the job: only it claims
      await outbox.stop();
      const { job: queued } = await districtAfterFailures(t, rig, 'MFR-LT1', 'Luwingu District', [{ times: 1 }]);
      const now = Math.max(Date.now(), queued.nextAttemptAt);
      const dead = 'dead-host-1234-cafe0000:8f0e2a1c-0000-4000-8000-000000000001';
      const [taken] = await store.claimJobs({
        system: 'dhis2',
        flows: ['facility'],
        limit: 1,
        leaseOwner: dead,
        leaseMs: 300,
        now,
      });
      t.equal(taken?.id, queued.id, 'another instance claimed it, then died');
      t.equal(taken.leaseTakenFrom, undefined, 'a pending job is claimed from nobody');
      t.same(of(log.lines(), /took over/), [], 'nor is its claim a takeover');

      outbox.startWorker();
      await until('the write is delivered', async () =>
        (await facilityJobOf(rig, 'Luwingu District')).status === 'done' ? true : undefined,
      );
      const said = of(log.lines(), /took over/);
      t.equal(said.length, 1, 'the takeover is said once');
      t.equal(said[0].level, INFO);
      t.match(said[0], { jobId: queued.id, flow: 'facility', system: 'dhis2', attempt: 3, previousOwner: dead });
    },
  );
}
