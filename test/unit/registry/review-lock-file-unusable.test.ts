/**
 * The review lock's file beside a SQLite database (sqlite-process-lock.ts) that this process
 * cannot use: left by a `sudo … reconcile --store` (root's, 0644), or not a file at all. Before:
 * every review decision and undo of the system answered a bare 500 "internal error", the why only
 * in the server's log, and the person at the console could do nothing but try again. Now a 503
 * naming the lock file and what the operator does about it; nothing is decided or audited.
 * The lock file is made a directory here: unusable to root as to anyone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { openStore } from '../../../src/store/index.js';
import { jobLockFile } from '../../../src/store/sqlite-job-lock.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reviewUndoRoutes } from '../../../src/admin/review-undo-routes.js';
import { reviewLockName } from '../../../src/registry/review-lock.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const TOKEN = 'lock-file-unusable-token';

t.test('an unusable review lock file: a 503 naming it, nothing decided', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-lock-unusable-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dbFile = path.join(dir, 'mediator.db');
  const store = await openStore({ databaseUrl: `sqlite:${dbFile}` });
  t.teardown(() => store.close());
  await reconcileIntoStore(store, 'emr', [reviewFacility('L4', 'Kasikeu')], REVIEW_REGISTRY);
  const lockFile = jobLockFile(dbFile, `shared-lock:${reviewLockName('emr')}`);
  fs.rmSync(lockFile, { force: true }); // the run's, given back: now one nobody can open
  fs.mkdirSync(lockFile);

  const app = Fastify();
  app.setErrorHandler(fhirErrorHandler);
  await app.register(reviewRoutes, {
    prefix: '/admin',
    store,
    adminToken: TOKEN,
    registry: async () => REVIEW_REGISTRY,
  });
  await app.register(reviewUndoRoutes, { prefix: '/admin', store, adminToken: TOKEN });
  t.teardown(() => app.close());
  const before = await store.getCrosswalk('emr', 'L4');

  const asked = [
    ['accept', '/admin/reconcile/emr/L4/accept', { registryId: 'R4' }],
    ['undo', '/admin/reconcile/emr/L4/undo', {}],
  ] as const;
  for (const [what, url, payload] of asked) {
    const answer = await app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'alice' },
      payload,
    });
    t.equal(answer.statusCode, 503, `${what}: 503, not a bare 500`);
    const [issue] = answer.json().issue;
    t.match(issue.diagnostics, lockFile, `${what}: the lock file named`);
    t.match(issue.diagnostics, /review/, `${what}: said to be the review lock`);
    t.match(issue.diagnostics, /chown/, `${what}: what the operator does said`);
    t.match(issue.diagnostics, /nothing was written/, `${what}: nothing done, said`);
  }
  t.same(await store.getCrosswalk('emr', 'L4'), before, 'nothing decided');
  t.equal((await store.listAudit({ subject: 'emr/L4' })).length, 0, 'nothing audited');
});
