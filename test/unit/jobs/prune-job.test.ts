/**
 * The outboxPrune scheduled job (src/jobs/prune-job.ts): outbox.retentionDays is the age, 0 keeps
 * everything (the run is skipped); a run goes batch after batch to the cutoff (of jobs, and of
 * entry map rows), says what it pruned
 * in one info line and feeds the /metrics counter; a bad retention stops start-up, named.
 */
import t from 'tap';
import { Registry } from 'prom-client';
import { ConfigError, defaultSettings, loadSettings } from '../../../src/config/load.js';
import { KEEP_FOREVER, PRUNE_BATCH, pruneFinished } from '../../../src/jobs/prune-job.js';
import { mediatorJobs } from '../../../src/jobs/index.js';
import { registerOutboxMetrics } from '../../../src/outbox/metrics.js';
import type { Outbox } from '../../../src/outbox/outbox.js';
import type { Propagator } from '../../../src/registry/propagation/propagator.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { capturingLogger } from '../../support/capturing-logger.js';
import { newJob } from '../../support/new-job.js';

const DAY = 86_400_000;
const NOW = 400 * DAY;

async function memoryStore(t: { teardown(fn: () => unknown): void }): Promise<Store> {
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  t.teardown(() => store.close());
  return store;
}

/** `n` jobs done `daysAgo` days before NOW. */
async function doneJobs(store: Store, prefix: string, n: number, daysAgo: number): Promise<void> {
  const at = NOW - daysAgo * DAY;
  const jobs = Array.from({ length: n }, (_, i) =>
    newJob(`${prefix}${i}`, { status: 'in-flight', leaseOwner: 'A', leaseUntil: at + 1, createdAt: at - 1 }),
  );
  await store.recordWrites(jobs, []);
  for (const j of jobs)
    await store.finishJob(j.id, 'A', { status: 'done', result: { system: 'openlmis', ids: {} } }, at);
}

t.test('the default keeps 90 days; 0 keeps everything', async (t) => {
  t.equal(defaultSettings()['outbox.retentionDays'], 90);
  const store = await memoryStore(t);
  await doneJobs(store, 'old', 2, 91);
  const settings = () => ({ ...defaultSettings(), 'outbox.retentionDays': 0 });
  t.same(await pruneFinished({ store, settings }, NOW), { skipped: KEEP_FOREVER });
  t.equal((await store.listJobs()).length, 2, 'nothing pruned');
});

t.test('a run prunes batch after batch to the cutoff, one info line, the counter fed', async (t) => {
  const store = await memoryStore(t);
  await doneJobs(store, 'old', PRUNE_BATCH + 20, 91);
  await doneJobs(store, 'recent', 3, 89);
  const { lines, logger } = capturingLogger();
  const registry = new Registry();
  const metrics = registerOutboxMetrics(registry, store);
  const result = await pruneFinished(
    { store, settings: defaultSettings, logger, onPruned: (c) => metrics.pruned?.(c) },
    NOW,
  );
  t.match(result.counts, { batches: 2, examined: PRUNE_BATCH + 20, jobs: PRUNE_BATCH + 20, keys: PRUNE_BATCH + 20 });
  t.same(
    (await store.listJobs()).map((j) => j.id).sort(),
    ['recent0', 'recent1', 'recent2'],
    'the jobs younger than 90 days stay',
  );
  t.same(
    lines.map((l) => [l.level, l.msg]),
    [['info', 'outbox prune']],
    'one line per run',
  );
  t.match(lines[0].obj, { retentionDays: 90, batches: 2, jobs: PRUNE_BATCH + 20, attempts: 0, jobRuns: 0 });
  const text = await registry.metrics();
  t.match(text, new RegExp(`mediator_outbox_pruned_total\\{table="jobs"\\} ${PRUNE_BATCH + 20}\\n`));
  t.match(text, new RegExp(`mediator_outbox_pruned_total\\{table="keys"\\} ${PRUNE_BATCH + 20}\\n`));
});

t.test('a run goes on while a batch reads a full window of entry map rows', async (t) => {
  const store = await memoryStore(t);
  // maps of reads through OpenHIM (no job), one row each: more than a batch reads
  for (let i = 0; i < PRUNE_BATCH + 30; i++)
    await store.recordTransactionEntries({
      transactionId: `tx-${i}`,
      count: 1,
      entries: [{ entry: 0, answer: { status: '200 OK' } }],
    });
  // recorded now: a run 91 days from now finds them past the default retention
  const result = await pruneFinished({ store, settings: defaultSettings }, Date.now() + 91 * DAY);
  t.match(result.counts, { batches: 2, examined: 0, jobs: 0, entries: PRUNE_BATCH + 30 });
  t.same(await store.entriesOfTransaction(`tx-${PRUNE_BATCH + 29}`), [], 'the last map went too');
});

t.test('the job is scheduled by schedules.outboxPrune, daily by default', async (t) => {
  const store = await memoryStore(t);
  const job = mediatorJobs({
    store,
    settings: defaultSettings,
    connectors: () => [],
    outbox: { register: () => undefined } as unknown as Outbox,
    propagator: {} as Propagator,
    registry: () => undefined,
  }).find((j) => j.name === 'outboxPrune');
  t.equal(job?.setting, 'schedules.outboxPrune');
  t.equal(defaultSettings()['schedules.outboxPrune'], '40 1 * * *');
  await store.recordWrite(newJob('w'));
  t.match(await job!.run(), { counts: { jobs: 0 } });
});

t.test('a retention that cannot be a number of days stops start-up, named', async (t) => {
  const base = { AUTH_MODE: 'off', DATA_DIR: '/tmp' };
  for (const [value, why] of [
    ['-1', 'at least 0'],
    ['1.5', 'a whole number'],
    ['36501', 'at most 36500'],
  ])
    t.throws(
      () => loadSettings({ ...base, OUTBOX_RETENTION_DAYS: value }),
      new ConfigError(`environment: outbox.retentionDays must be ${why}, got '${value}'`),
      value,
    );
  t.throws(
    () => loadSettings({ ...base, OUTBOX_RETENTION_DAYS: 'ninety' }),
    new ConfigError(`environment: outbox.retentionDays must be a number, got 'ninety'`),
  );
  t.equal(loadSettings({ ...base, OUTBOX_RETENTION_DAYS: '0' })['outbox.retentionDays'], 0);
});
