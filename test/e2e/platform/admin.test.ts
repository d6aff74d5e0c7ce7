/** The running mediator serves both admin APIs (outbox, reconciliation review) behind the admin token. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadSettings } from '../../../src/config/load.js';
import { startMediator } from '../../../src/main.js';

t.test('admin APIs need the admin token, and answer with it', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'admin-'));
  const mediator = await startMediator(
    loadSettings({
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      AUTH_PASSWORD: 'admin-test-pw',
      ADMIN_TOKEN: 'admin-token-Rt5',
      // the review queue of a system nobody configured is a 404 (review-routes): configure one;
      // nothing here calls it (nothing reconciled yet: an empty queue)
      OPENLMIS_BASE_URL: 'http://127.0.0.1:9',
      OPENLMIS_USERNAME: 'mediator',
      OPENLMIS_PASSWORD: 'lmis-admin-test',
    } as NodeJS.ProcessEnv),
  );
  t.teardown(async () => {
    await mediator.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  for (const url of ['/admin/outbox/jobs', '/admin/reconcile/openlmis/review']) {
    const refused = await fetch(`${mediator.url}${url}`, { headers: { authorization: 'Bearer wrong' } });
    t.equal(refused.status, 401, `${url} without the token`);
    t.equal(((await refused.json()) as { resourceType: string }).resourceType, 'OperationOutcome');
    const ok = await fetch(`${mediator.url}${url}`, { headers: { authorization: 'Bearer admin-token-Rt5' } });
    t.equal(ok.status, 200, `${url} with the token`);
    await ok.body?.cancel();
  }
});
