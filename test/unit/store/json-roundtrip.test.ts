/**
 * Every JSON column round-trips every JSON value on both engines, read back by the store that
 * wrote it and by a second store opened on the same database (what a resumed job does). On
 * PostgreSQL a string step result ("INITIATED", a requisition id) used to throw on read: pg had
 * already decoded the jsonb and the store parsed it a second time.
 */
import t from 'tap';
import pg from 'pg';
import { openStore, type NewJob } from '../../../src/store/index.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

/** Plain strings, strings that look like JSON, and every other JSON type. */
const VALUES: [string, unknown][] = [
  ['a requisition id', 'a3b1c2d4-0000-4000-8000-000000000001'],
  ['a status', 'INITIATED'],
  ['an empty string', ''],
  ['a string holding a JSON string', '"x"'],
  ['a string holding a JSON object', '{"a":1}'],
  ['a string holding a JSON number', '123'],
  ['a string holding JSON null', 'null'],
  ['a string holding JSON true', 'true'],
  ['a non-ASCII string', 'Kisumu — Ñandú 🏥'],
  ['an integer', 42],
  ['zero', 0],
  ['a negative decimal', -1.5],
  ['true', true],
  ['false', false],
  ['null', null],
  ['an object', { requisitionId: 'R-1', lines: [{ qty: 5 }], nested: { ok: true } }],
  ['an empty object', {}],
  ['an array', [1, 'two', null, { three: 3 }]],
  ['an empty array', []],
];

function job(id: string, payload: unknown): NewJob {
  return {
    id,
    flow: 'order',
    system: 'openlmis',
    idempotencyKey: `key-${id}`,
    payloadHash: `h-${id}`,
    payload,
    status: 'in-flight',
    attempts: 1,
    nextAttemptAt: 1_000,
    leaseOwner: 'lease-1',
    leaseUntil: 9_999_999_999_999,
    createdAt: 1_000,
  };
}

t.comment(
  process.env.TEST_DATABASE_URL ? 'PostgreSQL tier: on' : 'PostgreSQL tier skipped: TEST_DATABASE_URL is not set',
);

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await freshStore(engine, t);
    const reopened = await openStore({ databaseUrl });
    t.teardown(() => reopened.close());

    t.test('step journal results', async (t) => {
      for (const [i, [label, value]] of VALUES.entries()) {
        t.strictSame(
          await store.putStep('job-steps', `step-${i}`, value, 1_000 + i),
          value,
          `${label}: putStep answers it`,
        );
      }
      const steps = await reopened.listSteps('job-steps');
      t.equal(steps.length, VALUES.length);
      for (const [i, [label, value]] of VALUES.entries()) {
        t.strictSame(steps.find((s) => s.step === `step-${i}`)?.result, value, `${label}: read back by another store`);
      }
      t.strictSame(
        await store.putStep('job-steps', 'step-1', 'SUBMITTED', 5_000),
        'INITIATED',
        'the first recorded string wins',
      );
      t.strictSame(
        await store.putStep('job-steps', 'nothing', undefined, 5_000),
        null,
        'a step that returned nothing reads as null',
      );
    });

    t.test('job payloads, results and errors', async (t) => {
      for (const [i, [label, value]] of VALUES.entries()) {
        const id = `job-${i}`;
        const recorded = await store.recordWrite(job(id, value));
        t.strictSame(recorded.job.payload, value, `${label}: payload as recorded`);
        t.strictSame((await reopened.getJob(id))?.payload, value, `${label}: payload read back`);
      }
      const result = { system: 'openlmis', ids: { requisition: '"R-1"', order: '{"a":1}' }, status: 'INITIATED' };
      t.ok(await store.finishJob('job-0', 'lease-1', { status: 'done', result }, 2_000));
      t.strictSame((await reopened.getJob('job-0'))?.result, result, 'a result whose strings look like JSON');
      const error = {
        name: 'UpstreamError',
        status: 422,
        system: 'openlmis',
        upstreamStatus: 422,
        transient: false,
        issues: [{ code: 'business-rule', diagnostics: '{"message":"no"}' }],
      };
      t.ok(await store.finishJob('job-1', 'lease-1', { status: 'rejected', error }, 2_000));
      const failed = await reopened.getJob('job-1');
      t.strictSame(failed?.error, error, 'a stored error');
      t.equal(failed?.lastError, '{"message":"no"}');
    });

    t.test('crosswalk reasons and suggestions, audit details', async (t) => {
      const row = {
        system: 'openlmis',
        systemId: 'F-json',
        registryId: 'R-1',
        state: 'review' as const,
        zone: 'review' as const,
        score: 3.25,
        reasons: [{ field: 'name', weight: 2, detail: '"quoted"' }],
        suggestions: [{ registryId: 'R-2', score: 1, reasons: [{ field: 'id', weight: 1, detail: '123' }] }],
        decidedBy: 'auto',
        decidedAt: '2026-01-01T00:00:00Z',
      };
      await store.upsertCrosswalk(row);
      t.strictSame(await reopened.getCrosswalk('openlmis', 'F-json'), row);
      const details = { reason: 'INITIATED', looksLikeJson: '{"a":1}', n: 0, list: ['x'], none: null };
      await store.appendAudit({ actor: 'test', action: 'json.check', subject: 'json-subject', details }, 3_000);
      t.strictSame((await reopened.listAudit({ subject: 'json-subject' }))[0].details, details);
    });

    if (engine.name === 'postgres') {
      t.test('PostgreSQL stores a JS string as a JSON string, not as the JSON it spells', async (t) => {
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        t.teardown(() => client.end());
        const { rows } = await client.query<{ step: string; kind: string }>(
          "SELECT step, jsonb_typeof(result) AS kind FROM step_journal WHERE job_id = 'job-steps' ORDER BY step",
        );
        const kinds = new Map(rows.map((r) => [r.step, r.kind]));
        for (const [i, [label, value]] of VALUES.entries()) {
          const expected = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
          t.equal(kinds.get(`step-${i}`), expected, `${label}: jsonb holds a ${expected}`);
        }
        t.equal(kinds.get('nothing'), null, 'undefined is SQL NULL');
      });
    }
  });
}
