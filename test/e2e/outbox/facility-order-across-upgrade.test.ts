/**
 * Writes of one facility keep their order across an upgrade from a release before v25. That
 * release keyed a waiting facility write by its payload id, and v25 gave the jobs waiting at the
 * upgrade that id as order key; the release after it keys a write by what OpenLMIS finds the
 * facility by, its code. Tried by hand with the release at 78dceb4: a PUT of Location/[OpenLMIS id]
 * accepted by it and waiting in backoff, then, after the upgrade, a POST of the same facility by
 * code: the POST was delivered at once and the PUT's retry put the older name back in OpenLMIS.
 * Here the older release's job is made as v25 leaves it (its order key set to its payload id), the
 * mediator restarted on it, and the POST must wait for the PUT. Through the real mediator, the
 * OpenLMIS connector and its sandbox, on both store engines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import Database from 'better-sqlite3';
import pg from 'pg';
import { loadSettings } from '../../../src/config/load.js';
import { startMediator, type RunningMediator } from '../../../src/main.js';
import { startHarness } from '../../unit/sandbox/openlmis/helpers.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';
import { fhirAt, openLmisEnv, why } from '../../support/openlmis-e2e.js';
import { namesOfTwoWrites, namesWritten } from '../../support/names-written.js';

const FACILITY = 'LK-HC-104';

/** What v25 made of a job waiting at the upgrade: keyed by its payload id; due `dueInMs` from now. */
async function asBeforeV25(engine: EngineCase, databaseUrl: string, dueInMs: number): Promise<number> {
  const due = Date.now() + dueInMs;
  if (engine.name === 'sqlite') {
    const db = new Database(databaseUrl.slice('sqlite:'.length));
    try {
      return db
        .prepare(
          "UPDATE outbox_jobs SET order_key = json_extract(payload, '$.id'), next_attempt_at = ? WHERE status = 'pending'",
        )
        .run(due).changes;
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query(
      "UPDATE outbox_jobs SET order_key = payload->>'id', next_attempt_at = $1 WHERE status = 'pending'",
      [due],
    );
    return r.rowCount ?? 0;
  } finally {
    await c.end();
  }
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: a facility write accepted before v25 is delivered before a later one by code`,
    { skip: engine.skip },
    async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const lmis = await startHarness();
      t.teardown(() => lmis.sb.close());
      const dataDir = mkdtempSync(path.join(tmpdir(), 'upgrade-order-'));
      t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
      const settings = () =>
        loadSettings({
          HOST: '127.0.0.1',
          PORT: '0',
          DATA_DIR: dataDir,
          DATABASE_URL: db.databaseUrl,
          LOG_LEVEL: 'silent',
          AUTH_PASSWORD: 'e2e-secret-Qw3', // RIG_AUTH's
          ...openLmisEnv(lmis.sb.url),
          OUTBOX_DEADLINE_MS: '1000',
          OUTBOX_BACKOFF_BASE_MS: '60000',
          OUTBOX_BACKOFF_CAP_MS: '60000',
        } as NodeJS.ProcessEnv);
      let mediator: RunningMediator = await startMediator(settings());
      t.teardown(() => mediator.stop());
      const fhir = (method: string, url: string, body?: unknown) => fhirAt(mediator.url, method, url, body);

      const id = lmis.seed.facilities[FACILITY];
      const history = namesWritten(lmis.sb.state.store.facilities, id);
      const read = await fhir('GET', `/fhir/Location/${id}`);
      t.equal(read.status, 200, why(read));
      const { meta: _meta, ...location } = read.body;

      lmis.sb.faults.add({
        method: 'PUT',
        path: '/api/facilities/*',
        action: { type: 'status', status: 503 },
        times: 3,
      });
      const older = await fhir('PUT', `/fhir/Location/${id}`, { ...location, name: 'Older, by id' });
      t.equal(older.status, 202, `the PUT by OpenLMIS id is queued: ${why(older)}`);
      await mediator.stop();
      lmis.sb.faults.clear();
      t.equal(await asBeforeV25(engine, db.databaseUrl, 3_000), 1, 'its job as v25 left it, due in 3 s');

      mediator = await startMediator(settings());
      const { id: _id, ...byCode } = location;
      const newer = await fhir('POST', '/fhir/Location', { ...byCode, name: 'Newer, by code' });
      t.equal(newer.status, 202, `the POST by code waits for the older write of the facility: ${why(newer)}`);
      t.same(history, [history[0]], 'nothing reached OpenLMIS yet: the POST did not overtake the PUT');

      t.same(
        await namesOfTwoWrites(history, 'both writes delivered', 1_000),
        ['Older, by id', 'Newer, by code'],
        'delivered in the order accepted, each once',
      );
      t.equal(lmis.sb.state.store.facilities.get(id)!.name, 'Newer, by code', 'OpenLMIS ends with the later write');
    },
  );
