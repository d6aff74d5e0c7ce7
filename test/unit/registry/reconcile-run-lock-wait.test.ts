/**
 * A reconcile run's write that waits out the review lock another process holds (a decision in the
 * server, or a `reconcile --store` beside it stopped mid-write: review-lock-holder-child.ts).
 * Before: a bare LockWaitTimeout, which the CLI printed as a stack trace ("lock review:emr is still
 * held by another write after 59999 ms"), saying neither who might hold it nor what became of the
 * run. Now a 409 saying both: nothing of the run written, run it again. The crosswalk is as it was.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { openStore } from '../../../src/store/index.js';
import { MediatorError } from '../../../src/domain/errors.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { engineCases } from '../../support/outbox-engines.js';
import { killHard } from '../../support/net.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const root = path.resolve(import.meta.dirname, '../../..');

for (const engine of engineCases())
  t.test(`${engine.name}: a run's wait for the review lock run out is a 409`, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const store = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(() => store.close());
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'test/unit/registry/review-lock-holder-child.ts')],
      { cwd: root, env: { ...process.env, DATABASE_URL: db.databaseUrl }, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    t.teardown(() => killHard(child));
    child.stdout.setEncoding('utf8');
    let out = '';
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('held\n')) resolve();
      }),
    );

    const run = reconcileIntoStore(store, 'emr', [reviewFacility('L4', 'Kasikeu')], REVIEW_REGISTRY, {
      lockWaitMs: 200,
    });
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(err instanceof MediatorError, 'an error the CLI and the job say in one line, no stack trace');
    t.equal((err as MediatorError).status, 409);
    t.match(
      (err as Error).message,
      /^the review lock of emr was still held after 0\.2 s, by another review decision or a reconcile run's write .*: nothing of this reconcile run was written to the stored crosswalk; run it again$/,
    );
    t.equal(await store.getCrosswalk('emr', 'L4'), undefined, 'nothing of the run written');
    t.same(await store.listAudit({ subject: 'emr/L4' }), [], 'nothing audited');
  });
