/**
 * A write whose system cannot be asked whether it is up (no connector configured for it, or one
 * without a readiness check) was held for ever at its last attempt: systems/system-answers.ts read
 * "no check" as "not answering", so last-attempt-hold.ts held it while that check "failed", never
 * dead-lettered and never shown to an operator. Nothing says such a system is down: its write ends
 * as before the hold existed, dead at its last attempt once past the bound a breaker gives it,
 * with its own last error. A system whose check fails still holds its write. Both engines.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { withCliRuntime } from '../../../src/cli/runtime.js';
import { loadOperatorSettings } from '../../../src/config/load.js';
import { UpstreamError } from '../../../src/domain/errors.js';
import { systemAnswersOf } from '../../../src/systems/system-answers.js';
import type { Connector } from '../../../src/routing/ports.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

/** DHIS2 behind a gateway that answers 503 to everything, its readiness check (ping) too. */
async function unavailableDhis2(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const server = http.createServer((_req, res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('down'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const unavailable = (system: string) =>
  new UpstreamError({ system, transient: true, upstreamStatus: 503, diagnostics: 'Unavailable' });

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await freshStore(engine, t);
    // DHIS2 configured (its check fails); mSupply not configured at all: nothing can ask it
    const settings = loadOperatorSettings({
      DATABASE_URL: databaseUrl,
      DHIS2_BASE_URL: await unavailableDhis2(t),
      DHIS2_USERNAME: 'admin',
      DHIS2_PASSWORD: 'district',
      OUTBOX_MAX_ATTEMPTS: '1',
    });
    const sent = { dhis2: 0, msupply: 0 };
    await withCliRuntime(settings, async ({ outbox }) => {
      for (const system of ['dhis2', 'msupply'] as const)
        outbox.register('stock', system, async () => {
          sent[system] += 1;
          throw unavailable(system);
        });
      await outbox.acceptWrite({ flow: 'stock', system: 'msupply', idempotencyKey: 'unaskable', payload: {} });
      await outbox.acceptWrite({ flow: 'stock', system: 'dhis2', idempotencyKey: 'asked-down', payload: {} });
      await outbox.idle();
      return 0;
    });
    t.same(sent, { dhis2: 1, msupply: 1 }, 'one attempt each, its last (outbox.maxAttempts 1)');
    const [unaskable] = await store.findJobsByKey('unaskable');
    t.match(
      unaskable,
      { status: 'dead', attempts: 1, lastError: /Unavailable|503/ },
      'dead-lettered with its own error (before: pending, held for ever)',
    );
    const [asked] = await store.findJobsByKey('asked-down');
    t.match(asked, { status: 'pending', attempts: 0 }, 'held uncharged while DHIS2 fails its check');
  });
}

t.test('a connector without a readiness check reads as answering; one whose check fails does not', async (t) => {
  const down: Connector = { system: 'dhis2', ping: async () => Promise.reject(new Error('503')) } as Connector;
  const noPing: Connector = { system: 'legacy' } as Connector;
  const answers = systemAnswersOf(() => [down, noPing]);
  t.equal(await answers('dhis2'), false);
  t.equal(await answers('legacy'), true, 'before: false, its writes held for ever');
  t.equal(await answers('msupply'), true, 'no connector at all: nothing says it is down');
});
