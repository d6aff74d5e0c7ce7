/**
 * A CLI command's outbox (cli/runtime.ts: bridges, `jobs run`) takes the server's outbox settings
 * and readiness checks (outbox/settings-options.ts, systems/system-answers.ts). It took only the
 * deadline and the breaker, so its writes ran under the default attempt budget, and it had no
 * readiness check, so once a write's attempt was its last one it could only be dead-lettered
 * where the server holds it (last-attempt-hold.ts). With outbox.maxAttempts 1 every first
 * attempt is the last: a write failing 503 while DHIS2's own readiness check fails too is held,
 * not dead-lettered and not retried as a charged attempt. Both engines.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { withCliRuntime } from '../../../src/cli/runtime.js';
import { loadOperatorSettings } from '../../../src/config/load.js';
import { UpstreamError } from '../../../src/domain/errors.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

/** DHIS2 behind a gateway that answers 503 to everything, its readiness check (ping) too. */
async function unavailableDhis2(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const server = http.createServer((_req, res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('down'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await freshStore(engine, t);
    const settings = loadOperatorSettings({
      DATABASE_URL: databaseUrl,
      DHIS2_BASE_URL: await unavailableDhis2(t),
      DHIS2_USERNAME: 'admin',
      DHIS2_PASSWORD: 'district',
      OUTBOX_MAX_ATTEMPTS: '1',
    });
    let sent = 0;
    await withCliRuntime(settings, async ({ outbox }) => {
      outbox.register('stock', 'dhis2', async () => {
        sent += 1;
        throw new UpstreamError({ system: 'dhis2', transient: true, upstreamStatus: 503, diagnostics: 'Unavailable' });
      });
      await outbox.acceptWrite({ flow: 'stock', system: 'dhis2', idempotencyKey: 'cli-held', payload: {} });
      await outbox.idle();
      return 0;
    });
    t.equal(sent, 1, 'one attempt, its last (outbox.maxAttempts 1)');
    const [job] = await store.findJobsByKey('cli-held');
    t.match(job, { status: 'pending', attempts: 0 }, 'held uncharged while DHIS2 does not answer its check');
    t.ok(job.failingSince !== undefined, 'its failing age started');
  });
}
