/**
 * A REST gateway in maintenance in front of OpenMRS, answering every request
 * `200 {"message":"maintenance"}` to the stock management module, through the real mediator,
 * connector and OpenMRS sandbox, on both store engines. Every stock write's first request to it
 * is the same read (the stock parties, cached once read): keyed by it alone, the gateway's answers were one poisoned
 * request's, each write charged and dead-lettered after outbox.maxAttempts. A read different
 * writes meet answered so is the system's (other-shape-streak.ts sharedRead): the breaker opens,
 * the writes are held uncharged by its probes for longer than their attempts would last, and each
 * is delivered once when the gateway recovers.
 */
import t, { type Test } from 'tap';
import { until } from '../../../support/net.js';
import { startOpenMrsRigOn, why, type OpenMrsRig } from '../../../support/openmrs-e2e.js';
import { appCount } from '../../../support/openmrs-inventory-report.js';
import { engineCases } from '../../../support/outbox-engines.js';

const MAX_ATTEMPTS = 4;
const ENV = {
  OUTBOX_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  OUTBOX_BACKOFF_BASE_MS: '100',
  OUTBOX_BACKOFF_CAP_MS: '60000',
  OUTBOX_BREAKER_FAILURES: '2',
  // a probe every 500 ms while held: the maintenance outlasts many of them in a few seconds
  OUTBOX_BREAKER_OPEN_MS: '500',
};
const ENDED = ['done', 'rejected', 'dead'];
const MAINTENANCE = { type: 'status', status: 200, body: { message: 'maintenance' } } as const;
/** Counts of different items: different writes, each beginning with the same reads. */
const COUNTS = [
  ['CNT-GW-1', '10860012300058', 'AMX-2401', 930],
  ['CNT-GW-2', '10860012300065', 'PCM-2401', 1990],
] as const;

const count = (id: string, gtin: string, lot: string, quantity: number) => appCount(id, { gtin, lot, quantity });

const stockJobs = async (rig: OpenMrsRig) =>
  (await rig.mediator.store.listJobs({})).filter((j) => j.system === 'openmrs');

/** Attempts of these jobs that ran (not deferred by an open breaker): probes, once it is open. */
const attemptsRun = async (rig: OpenMrsRig, jobs: { id: string }[]) => {
  const rows = (await Promise.all(jobs.map((j) => rig.mediator.store.listJobAttempts(j.id, 10_000)))).flat();
  return rows.filter((r) => r.outcome !== 'deferred').reduce((n, r) => n + (r.repeats ?? 1), 0);
};

const gateOf = (rig: OpenMrsRig) => rig.mediator.outbox.breakerGates().openmrs ?? 'closed';

async function heldThroughMaintenance(t: Test, rig: OpenMrsRig) {
  // the stock module's paths: the session and the location look-up (routing's, before the 202)
  // are other cases; every write's first request to the module is then the same parties read
  rig.sb.faults.add({ path: '/openmrs/ws/rest/v1/stockmanagement/**', action: MAINTENANCE });
  for (const [id, gtin, lot, qty] of COUNTS) {
    const posted = await rig.fhir('POST', '/fhir/R5/InventoryReport', count(id, gtin, lot, qty));
    t.ok([201, 202].includes(posted.status), `${id} accepted: ${why(posted)}`);
  }
  const held = await until(
    'the writes held behind the breaker, or given up',
    async () => {
      const all = await stockJobs(rig);
      if (all.length === COUNTS.length && all.every((j) => ENDED.includes(j.status))) return 'given up';
      return gateOf(rig) === 'open' && all.length === COUNTS.length ? 'held' : undefined;
    },
    30_000,
  );
  t.equal(held, 'held', 'the breaker opened; not each write dead-lettered');
  if (held !== 'held') return;
  const runs = MAX_ATTEMPTS * COUNTS.length + 1;
  const outlasted = await until(
    `${runs} attempts run, or a write given up`,
    async () => {
      const jobs = await stockJobs(rig);
      if (jobs.some((j) => ENDED.includes(j.status))) return 'given up';
      return (await attemptsRun(rig, jobs)) >= runs ? 'outlasted' : undefined;
    },
    60_000,
  );
  const waiting = await stockJobs(rig);
  t.equal(outlasted, 'outlasted', `held through ${runs} attempts (${waiting.map((j) => `${j.status}/${j.attempts}`)})`);
  t.ok(
    waiting.every((j) => j.attempts < MAX_ATTEMPTS),
    'the probes did not use up their attempts',
  );
  rig.sb.faults.clear(); // the maintenance ends
  const ended = await until(
    'the held writes delivered',
    async () => {
      const jobs = await stockJobs(rig);
      return jobs.every((j) => ENDED.includes(j.status)) ? jobs : undefined;
    },
    60_000,
  );
  t.same(
    ended.map((j) => j.status),
    ended.map(() => 'done'),
    `all delivered (${ended.map((j) => `${j.status}: ${j.lastError ?? ''}`).join('; ')})`,
  );
  t.equal(rig.sb.store.writes['stockoperation.create.stocktake'], COUNTS.length, 'each count created once');
  t.equal(gateOf(rig), 'closed', 'the breaker closed again');
}

for (const engine of engineCases()) {
  t.test(`${engine.name}: a gateway in maintenance holds the stock writes`, { skip: engine.skip }, async (t) => {
    const rig = await startOpenMrsRigOn(t, engine, 'openmrs-gateway-breaker', ENV);
    await heldThroughMaintenance(t, rig);
  });
}
