/**
 * The routes answered by adminErrorAnswer (the registry's mCSD feed, /admin/propagation, the
 * review API) while the mediator's database is away, through the real mediator: a 503
 * OperationOutcome saying the database is unavailable, as the FHIR API answers, so the registry's
 * feed or a script sends again; not a 500 "internal error". Once the database is back the same
 * request is taken. SQLite: the file refuses writes (query_only, as a read-only remount does:
 * SQLITE_READONLY); PostgreSQL: its server stopped (a server of the test's own).
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { acquireConnection, releaseConnection } from '../../../src/store/sqlite-connection.js';
import { RIG_AUTH, startRig, type Rig } from '../../support/openlmis-e2e.js';
import { ownPgServer, PG_SKIP } from '../outbox/pg-outage-rig.js';

const location = {
  resourceType: 'Location',
  id: 'fac-lk-hc-778',
  meta: { versionId: '1' },
  status: 'active',
  name: 'Away Test Clinic',
  identifier: [
    { system: 'http://fhir-supply-mediator.org/fhir/identifier/registry-facility-code', value: 'LK-HC-778' },
  ],
  type: [
    {
      coding: [
        {
          system: 'https://profiles.ihe.net/ITI/mCSD/CodeSystem/IHE.mCSD.Organization.Location.Types',
          code: 'facility',
        },
      ],
    },
  ],
};

const ADMIN_TOKEN = 'database-away-admin-token';

interface Outage {
  rig: Rig;
  begin(): Promise<void>;
  end(): Promise<void>;
  /** whether reads fail too (PostgreSQL stopped), not only writes */
  readsFail: boolean;
}

async function sqliteOutage(t: Test): Promise<Outage> {
  const dir = mkdtempSync(path.join(tmpdir(), 'admin-db-away-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'mediator.db');
  const rig = await startRig({ DATABASE_URL: `sqlite:${file}`, ADMIN_TOKEN });
  t.teardown(() => rig.close());
  // the mediator's own connection (one per file per process)
  const conn = acquireConnection(file);
  t.teardown(() => releaseConnection(conn));
  return {
    rig,
    begin: async () => void conn.db.pragma('query_only = ON'),
    end: async () => void conn.db.pragma('query_only = OFF'),
    readsFail: false,
  };
}

async function postgresOutage(t: Test): Promise<Outage> {
  const server = ownPgServer();
  t.teardown(() => execSync(server.stop, { stdio: 'ignore' }));
  const rig = await startRig({ DATABASE_URL: server.url, ADMIN_TOKEN });
  let down = false;
  const end = async () => {
    if (down) execSync(server.up, { stdio: 'ignore' });
    down = false;
  };
  t.teardown(async () => {
    await end();
    await rig.close();
  });
  return {
    rig,
    async begin() {
      execSync(server.down, { stdio: 'ignore' });
      down = true;
    },
    end,
    readsFail: true,
  };
}

const unavailable = {
  resourceType: 'OperationOutcome',
  issue: [
    { severity: 'error', code: 'transient', diagnostics: /database is unavailable just now; send the request again/ },
  ],
};

const cases = [
  { name: 'sqlite: writes refused', skip: false as const, outage: sqliteOutage },
  { name: 'postgres: server stopped', skip: PG_SKIP, outage: postgresOutage },
];

for (const c of cases) {
  t.test(c.name, { skip: c.skip, timeout: 180_000 }, async (t) => {
    const { rig, begin, end, readsFail } = await c.outage(t);
    const call = async (method: string, url: string, body?: unknown) => {
      const res = await fetch(`${rig.mediator.url}${url}`, {
        method,
        headers: {
          authorization: url.startsWith('/admin/') ? `Bearer ${ADMIN_TOKEN}` : RIG_AUTH,
          'content-type': 'application/fhir+json',
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
    };
    const feed = () => call('PUT', `/registry/Location/${location.id}`, location);

    await begin();
    try {
      const refused = await feed();
      t.equal(refused.status, 503, `the feed: ${refused.text}`);
      t.match(refused.body, unavailable);
      t.notMatch(refused.text, /ECONNREFUSED|SQLITE|readonly|at .*\.ts:\d+/, 'no driver error or stack');
      if (readsFail) {
        const status = await call('GET', '/admin/propagation');
        t.equal(status.status, 503, `/admin/propagation: ${status.text}`);
        t.match(status.body, unavailable);
        const queue = await call('GET', '/admin/reconcile/openlmis/crosswalk');
        t.equal(queue.status, 503, `the review API: ${queue.text}`);
      }
    } finally {
      await end();
    }

    const taken = await feed();
    t.equal(taken.status, 200, `taken once the database is back: ${taken.text}`);
    t.match(await rig.mediator.store.getPropagation(location.id, 'openlmis'), { state: 'held' });
  });
}
