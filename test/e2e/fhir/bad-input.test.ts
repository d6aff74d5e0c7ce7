/**
 * Issue 9's bad-input suite, end to end: the real mediator (outbox, SQLite) over the real OpenLMIS
 * connector and sandbox. Each row of the table is one distinct bad request; each must be refused
 * with its status and an OperationOutcome whose every issue names an element (FHIRPath, or the
 * HTTP part) — and must change nothing in OpenLMIS or in the mediator's store.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import pg from 'pg';
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { badInputCases, type BadCase, type CaseEnv } from '../../support/fhir-bad-input-cases.js';
import { orderLine, RIG_AUTH, startRig, transactionOf, why, type Rig } from '../../support/openlmis-e2e.js';

const FACILITY = 'LK-HC-101';

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** Everything OpenLMIS holds that a write could change. */
function upstreamState(rig: Rig): string {
  const s = rig.lmis.sb.state.store;
  const all = (m: Map<string, unknown>) => [...m.entries()];
  return digest({
    requisitions: all(s.requisitions),
    orders: all(s.orders),
    shipments: all(s.shipments),
    pods: all(s.pods),
    stockEvents: all(s.stockEvents),
    stockCards: all(s.stockCards),
    facilities: all(s.facilities),
    idempotencyKeys: all(s.idempotencyKeys),
  });
}

/** Reads the mediator's store directly (SQLite file or PostgreSQL database), to compare it before and after. */
interface StoreProbe {
  rows(sql: string): Promise<unknown[]>;
  close(): Promise<void>;
}

async function openProbe(databaseUrl: string): Promise<StoreProbe> {
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new Database(databaseUrl.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
    return {
      rows: async (sql) => db.prepare(sql).all(),
      close: async () => {
        db.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  return { rows: async (sql) => (await client.query(sql)).rows, close: () => client.end() };
}

/** Everything the mediator's store holds about writes: jobs, keys, links, journal. */
async function storeState(db: StoreProbe): Promise<string> {
  const rows = (table: string) => db.rows(`SELECT * FROM ${table} ORDER BY 1, 2`);
  return digest({
    jobs: await rows('outbox_jobs'),
    keys: await rows('idempotency_keys'),
    links: await rows('resource_links'),
    steps: await rows('step_journal'),
  });
}

/**
 * The store without the record of refused jobs: what can still reach an upstream or answer a
 * read. A write the connector refused leaves its rejected job (with its key and link, which the
 * next write under that key takes over: issue 9 item 8); nothing else may change.
 */
async function liveStoreState(db: StoreProbe): Promise<string> {
  const live = "(job_id IS NULL OR job_id NOT IN (SELECT id FROM outbox_jobs WHERE status = 'rejected'))";
  return digest({
    jobs: await db.rows("SELECT * FROM outbox_jobs WHERE status <> 'rejected' ORDER BY 1"),
    keys: await db.rows(`SELECT * FROM idempotency_keys WHERE ${live} ORDER BY 1, 2, 3`),
    links: await db.rows(`SELECT * FROM resource_links WHERE ${live} ORDER BY 1, 2`),
    steps: await db.rows(`SELECT * FROM step_journal WHERE ${live} ORDER BY 1, 2`),
  });
}

async function rejectedJobs(db: StoreProbe): Promise<number> {
  const [row] = (await db.rows("SELECT count(*) AS n FROM outbox_jobs WHERE status = 'rejected'")) as {
    n: number | string;
  }[];
  return Number(row.n);
}

function rawHttp(port: number): CaseEnv['rawHttp'] {
  return (request, opts) =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      let timer: NodeJS.Timeout | undefined;
      socket.setEncoding('latin1');
      socket.on('data', (chunk) => {
        text += chunk;
      });
      socket.on('error', reject);
      socket.on('close', () => {
        clearInterval(timer);
        const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
        resolve({ status: m ? Number(m[1]) : 0, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
      });
      socket.write(request);
      if (opts?.drip) {
        let i = 0;
        timer = setInterval(() => {
          if (i < opts.drip!.bytes.length && socket.writable) socket.write(opts.drip!.bytes[i++]);
        }, opts.drip.everyMs);
      } else {
        socket.end();
      }
    });
}

async function send(rig: Rig, c: BadCase): Promise<{ status: number; text: string }> {
  if (c.send) {
    const res = await c.send();
    return { status: res.status, text: res.body };
  }
  const raw = typeof c.raw === 'string' || c.raw === undefined ? c.raw : new Uint8Array(c.raw);
  const payload = raw !== undefined ? raw : c.body !== undefined ? JSON.stringify(c.body) : undefined;
  const res = await fetch(`${rig.mediator.url}${c.url}`, {
    method: c.method ?? 'POST',
    headers: {
      ...(c.noAuth ? {} : { authorization: RIG_AUTH }),
      accept: 'application/fhir+json',
      ...(payload !== undefined ? { 'content-type': 'application/fhir+json' } : {}),
      ...(c.headers ?? {}),
    },
    body: payload,
  });
  return { status: res.status, text: await res.text() };
}

for (const engine of engineCases()) {
  t.test(
    `bad input is refused precisely and changes nothing, upstream or in the store (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const database = await engine.freshDatabase();
      t.teardown(database.drop);
      // short timeouts so the slow-sender row is quick; every other row answers in milliseconds
      const rig = await startRig({
        DATABASE_URL: database.databaseUrl,
        LIMIT_REQUEST_TIMEOUT_MS: '1500',
        LIMIT_HEADERS_TIMEOUT_MS: '1000',
      });
      t.teardown(() => rig.close());
      const db = await openProbe(database.databaseUrl);
      t.teardown(() => db.close());
      const port = Number(new URL(rig.mediator.url).port);
      const cases = badInputCases({
        url: rig.mediator.url,
        base: `${rig.mediator.url}/fhir`,
        facilityId: rig.lmis.seed.facilities[FACILITY],
        authorization: RIG_AUTH,
        rawHttp: rawHttp(port),
      });

      const names = new Set(cases.map((c) => c.name));
      t.equal(names.size, cases.length, 'every case has its own name');
      t.ok(cases.length >= 150, `${cases.length} distinct bad inputs`);
      const started = Date.now();
      for (const c of cases) {
        const upstreamBefore = upstreamState(rig);
        const storeBefore = await storeState(db);
        const liveBefore = await liveStoreState(db);
        const rejectedBefore = await rejectedJobs(db);
        const res = await send(rig, c);
        let body: any;
        try {
          body = JSON.parse(res.text);
        } catch {
          body = undefined;
        }
        const issues: any[] = body?.issue ?? [];
        const hit = issues.find((i) => (i.expression ?? []).includes(c.expression));
        const ok =
          res.status === c.status &&
          body?.resourceType === 'OperationOutcome' &&
          !!hit &&
          c.diagnostics.test(hit.diagnostics ?? '') &&
          issues.every((i) => Array.isArray(i.expression) && i.expression.length > 0);
        if (!ok) {
          t.fail(`${c.name}: got ${res.status} ${res.text.slice(0, 400)}`, {
            expected: { status: c.status, expression: c.expression, diagnostics: String(c.diagnostics) },
          });
        } else {
          t.pass(`${c.name}: ${res.status} ${c.expression}`);
        }
        t.notMatch(res.text, /at .*\.(ts|js):\d+/, `${c.name}: no stack trace`);
        t.equal(upstreamState(rig), upstreamBefore, `${c.name}: OpenLMIS unchanged`);
        if (c.viaConnector) {
          t.equal(await liveStoreState(db), liveBefore, `${c.name}: store unchanged but for the record of the refusal`);
          t.ok((await rejectedJobs(db)) <= rejectedBefore + 1, `${c.name}: at most one refused job recorded`);
        } else {
          t.equal(await storeState(db), storeBefore, `${c.name}: store unchanged`);
        }
      }
      t.comment(`${engine.name}: ${cases.length} cases in ${Date.now() - started} ms`);
    },
  );
}

t.test('a changed order under a number already used: 409 naming the order number, nothing changed', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const facilityId = rig.lmis.seed.facilities[FACILITY];
  const line = orderLine({ order: 'BAD-409', facilityId, program: 'EM01', productCode: 'EM-AMX250', qty: 300 });
  const first = await rig.fhir('POST', '/fhir/SupplyRequest', line);
  t.equal(first.status, 201, why(first));
  const before = upstreamState(rig);
  const changed = await rig.fhir('POST', '/fhir/SupplyRequest', {
    ...line,
    quantity: { ...line.quantity, value: 400 },
  });
  t.equal(changed.status, 409, why(changed));
  t.equal(changed.body.resourceType, 'OperationOutcome');
  t.same(changed.body.issue[0].expression, ['SupplyRequest.identifier']);
  t.match(changed.body.issue[0].diagnostics, /already used for a different/);
  t.match(
    changed.body.issue[0].diagnostics,
    `Identifier "${line.identifier[0].system}|BAD-409" was already used`,
    "the order number as the client sent it, not the outbox's key",
  );
  t.match(changed.body.issue[0].diagnostics, /to change the order, PUT or PATCH its lines/);
  t.equal(upstreamState(rig), before, 'OpenLMIS unchanged');
  const inBundle = await rig.fhir(
    'POST',
    '/fhir',
    transactionOf([{ ...line, quantity: { ...line.quantity, value: 500 } }]),
  );
  t.equal(inBundle.status, 409, why(inBundle));
  t.same(
    inBundle.body.issue[0].expression,
    ['Bundle.entry[0].resource.identifier'],
    "inside a Bundle: the entry's identifier",
  );
  t.equal(upstreamState(rig), before, 'OpenLMIS unchanged');
});
