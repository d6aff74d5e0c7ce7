/**
 * Graceful shutdown (RunningMediator.stop, what `serve` does on SIGTERM) starts no scheduled run:
 * the scheduler used to be stopped only after the HTTP server closed and the outbox drained (up
 * to 10 s with an attempt still running), and every tick meanwhile began a fresh run — a
 * propagation pull, a bridge — that shutdown then had to wait for, or that a SIGKILL cut. Through
 * the real mediator and the OpenLMIS sandbox: an order whose submit OpenLMIS answers after 3 s
 * keeps the outbox draining while the reconcile schedule ticks every second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startOpenLmisSandbox } from '../../../sandbox/openlmis/index.js';
import { loadSettings } from '../../../src/config/load.js';
import { startMediator } from '../../../src/main.js';
import { openStore } from '../../../src/store/index.js';
import { openLmisEnv, orderLine } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

const PASSWORD = 'shutdown-runs-Kp2';

for (const engine of engineCases())
  t.test(`no scheduled run starts once shutdown has begun (${engine.name})`, { skip: engine.skip }, async (t) => {
    const lmis = await startOpenLmisSandbox();
    t.teardown(() => lmis.close());
    const dir = mkdtempSync(path.join(tmpdir(), 'shutdown-runs-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const mediator = await startMediator(
      loadSettings({
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: dir,
        DATABASE_URL: db.databaseUrl,
        LOG_LEVEL: 'silent',
        AUTH_PASSWORD: PASSWORD,
        ...openLmisEnv(lmis.url),
        OUTBOX_DEADLINE_MS: '200',
        SCHEDULE_RECONCILE: '* * * * * *',
      } as NodeJS.ProcessEnv),
    );
    const faults = await fetch(`${lmis.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        method: 'POST',
        path: '/api/requisitions/*/submit',
        times: 1,
        action: { type: 'delay', ms: 3000 },
      }),
    });
    t.equal(faults.status, 201, await faults.text());
    const seed = (await (await fetch(`${lmis.url}/_sandbox/seed`)).json()) as { facilities: Record<string, string> };
    const order = orderLine({
      order: 'SHUTDOWN-RUNS-1',
      facilityId: seed.facilities['LK-HC-101'],
      program: 'FP01',
      productCode: 'FP-CNDM',
      qty: 100,
    });
    const res = await fetch(`${mediator.url}/fhir/SupplyRequest`, {
      method: 'POST',
      headers: {
        'content-type': 'application/fhir+json',
        authorization: `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`,
      },
      body: JSON.stringify(order),
    });
    t.equal(res.status, 202, 'the submit is still in flight when shutdown begins');

    const shutdownAt = Date.now();
    await mediator.stop();
    t.ok(Date.now() - shutdownAt >= 2000, 'shutdown waited for the attempt in flight');

    const store = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(() => store.close());
    // a run stamped in the very millisecond of shutdownAt began before stop() (nothing yields in
    // between); one woken earlier but still waiting for its lock or its first write must not begin
    const late = (await store.listJobRuns('reconcile', 100)).filter((r) => r.startedAt > shutdownAt);
    t.same(
      late.map((r) => new Date(r.startedAt).toISOString()),
      [],
      'no reconcile run started after stop() was called',
    );
  });
