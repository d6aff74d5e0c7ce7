/**
 * A stop asked for while the mediator starts (serve: a signal during start-up) starts no
 * background work once it listens: the outbox worker, which claimed and delivered a due job in
 * the moment before the stop, is not started (StartOptions.stopAsked). On both engines, through
 * the real mediator; the real `serve` process with a signal: test/e2e/cli/serve-signal-start-up.test.ts.
 * A start not asked to stop is the control: the same due job is taken up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { loadSettings } from '../../../src/config/load.js';
import { startMediator } from '../../../src/main.js';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';

/** A job due now: a started worker claims it at once (a propagation is known to every system). */
async function dueJob(databaseUrl: string): Promise<void> {
  const store = await openStore({ databaseUrl });
  try {
    await store.recordWrite({
      id: 'job-due',
      flow: 'propagate',
      system: 'openlmis',
      idempotencyKey: 'propagate|due',
      payloadHash: 'h',
      payload: { registryId: 'r-1', version: 1 },
      status: 'pending',
      attempts: 0,
      nextAttemptAt: Date.now() - 1_000,
      createdAt: Date.now(),
    });
  } finally {
    await store.close();
  }
}

/** The mediator started on a fresh database holding a due job, stopped at once; the job as left. */
async function startAndStop(t: Test, engine: ReturnType<typeof engineCases>[number], stopAsked: boolean) {
  const dir = mkdtempSync(path.join(tmpdir(), 'start-stop-asked-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = await engine.freshDatabase();
  t.teardown(db.drop);
  await dueJob(db.databaseUrl);
  const mediator = await startMediator(
    loadSettings({
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dir,
      DATABASE_URL: db.databaseUrl,
      LOG_LEVEL: 'silent',
      AUTH_MODE: 'off',
      OPENLMIS_BASE_URL: '',
      MSUPPLY_BASE_URL: '',
      OPENMRS_BASE_URL: '',
      DHIS2_BASE_URL: '',
    } as NodeJS.ProcessEnv),
    { stopAsked: () => stopAsked },
  );
  await mediator.stop('SIGTERM');
  const store = await openStore({ databaseUrl: db.databaseUrl });
  try {
    return await store.getJob('job-due');
  } finally {
    await store.close();
  }
}

for (const engine of engineCases()) {
  t.test(
    `a stop asked for while starting: no worker takes the due job (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const job = await startAndStop(t, engine, true);
      t.match(job, { status: 'pending', attempts: 0 }, 'the due job untouched');
      t.notOk(job?.leaseOwner, 'never leased');
    },
  );
  t.test(`no stop asked for: the worker takes the due job up (${engine.name})`, { skip: engine.skip }, async (t) => {
    const job = await startAndStop(t, engine, false);
    t.ok(job && job.attempts > 0, `the due job was tried (${job?.status}, attempts ${job?.attempts})`);
  });
}
