/**
 * The mediator's PostgreSQL restarts (pg_ctl stop -m fast, then start: a patch, a failover)
 * while a scheduled run holds its advisory lock. The lock went with the server; while the server
 * is down no instance can take it, so the holder asks for it again until the server is back and
 * the run goes on to its end, rather than being stopped at the first refused connection (which
 * left it recorded as running, then "abandoned", until the next tick: a week for reconcile).
 * Through the real mediator: the reconcile job reading the OpenLMIS sandbox's facilities, held
 * mid-read by a gate in front of the sandbox while the server restarts, then writing the crosswalk.
 *
 * It stops a PostgreSQL server of its own (scripts/pg-test-server.sh), not the shared one.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { startRig } from '../../support/openlmis-e2e.js';
import { ownPgServer, PG_SKIP } from '../outbox/pg-outage-rig.js';

const ADMIN = 'pg-restart-jobs-admin-5512';
const registryCsv = `id,name,latitude,longitude
MFR-101,Mberewa Health Centre,-10.412,34.121
MFR-102,Kasito Health Center,-10.455,34.187
`;

/**
 * A proxy to the OpenLMIS sandbox (named by `pointAt`, once it runs) that holds each GET
 * /api/facilities/full list until `open()`: a slow facility list.
 */
async function gatedFacilityList() {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let pointAt!: (url: string) => void;
  const pointed = new Promise<string>((resolve) => (pointAt = resolve));
  let held = 0;
  const server = http.createServer((req, res) => {
    const forward = async () => {
      const target = await pointed;
      const up = http.request(
        new URL(req.url!, target),
        { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
        (answer) => {
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (req.method === 'GET' && req.url!.startsWith('/api/facilities/full?')) {
      held++;
      void gate.then(forward);
    } else void forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held,
    open,
    pointAt,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function waitFor(what: string, probe: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (
      await Promise.resolve()
        .then(probe)
        .catch(() => false)
    )
      return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether a session holds the scheduler's (one-key) advisory lock, as PostgreSQL sees it. */
async function lockHeld(databaseUrl: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: databaseUrl });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const { rows } = await c.query(
      `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted AND pid <> pg_backend_pid()
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return rows.length > 0;
  } finally {
    await c.end();
  }
}

t.test('PostgreSQL restarted mid-run: the run takes its lock again and ends ok', { skip: PG_SKIP }, async (t) => {
  const server = ownPgServer();
  t.teardown(() => execSync(server.stop, { stdio: 'ignore' }));
  t.teardown(() => {
    try {
      execSync(server.up, { stdio: 'ignore' });
    } catch {
      // it was up
    }
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'pg-restart-job-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const registryFile = path.join(dir, 'registry.csv');
  writeFileSync(registryFile, registryCsv);
  const gate = await gatedFacilityList();
  t.teardown(async () => {
    gate.open();
    await gate.close();
  });
  const rig = await startRig({
    DATABASE_URL: server.url,
    OPENLMIS_BASE_URL: gate.url,
    REGISTRY_FILE: registryFile,
    ADMIN_TOKEN: ADMIN,
  });
  t.teardown(() => rig.close());
  gate.pointAt(rig.lmis.sb.url);

  const run = fetch(`${rig.mediator.url}/admin/jobs/reconcile/run`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}` },
  }).then(
    async (res) => ({ status: res.status, body: (await res.json()) as any }),
    (err: unknown) => ({ status: 0, body: String(err) as any }),
  );
  await waitFor('the run to read the facility list, its lock held', () => gate.held() > 0);
  t.ok(await lockHeld(server.url), 'the run holds its advisory lock');

  execSync(server.down, { stdio: 'ignore' });
  execSync(server.up, { stdio: 'ignore' });
  // the lock went with the old server: the run asks for it again on the one back
  await waitFor('the lock taken again after the restart', () => lockHeld(server.url));
  gate.open();

  const answer = await run;
  t.equal(answer.status, 200, JSON.stringify(answer.body));
  t.match(answer.body.run, { trigger: 'manual', outcome: 'ok', counts: { registry: 2 } }, 'the run ended ok');
  t.ok(answer.body.run.counts['openlmis.auto'] >= 1, 'its matches were written after the restart');
  const linked = (await rig.mediator.store.listCrosswalkByRegistryId('MFR-101')).find((r) => r.system === 'openlmis');
  t.ok(linked, 'the crosswalk links the registry record to the OpenLMIS facility');
  const runs = await rig.mediator.store.listJobRuns('reconcile');
  t.same(
    runs.map((r) => r.outcome),
    ['ok'],
    'one run, recorded ok (not left running, nor abandoned)',
  );
});
