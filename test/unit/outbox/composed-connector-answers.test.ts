/**
 * The server's outbox asks a system's readiness check before it dead-letters a write at its last
 * attempt (outbox/last-attempt-hold.ts, systems/system-answers.ts), over every connector it serves:
 * the configured ones and those a caller composes in beside them (startMediator's
 * opts.connectors, as bench/http.ts does). It asked the configured ones only, so a composed
 * system's failing check went unseen: read as "no connector", which counts as answering, its
 * write was dead-lettered during its outage. A composed system without a check still ends dead
 * with its own error. Through startMediator itself, both engines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadSettings } from '../../../src/config/load.js';
import { UpstreamError } from '../../../src/domain/errors.js';
import { startMediator } from '../../../src/main.js';
import type { Connector } from '../../../src/routing/ports.js';
import { engineCases } from '../../support/outbox-engines.js';

const unavailable = (system: string) =>
  new UpstreamError({ system, transient: true, upstreamStatus: 503, diagnostics: 'Unavailable' });

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const dir = mkdtempSync(path.join(tmpdir(), 're-composed-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    // composed beside the configured ones: one whose readiness check fails, one without a check
    let pinged = 0;
    const down = {
      system: 'composed-down',
      ping: async () => {
        pinged += 1;
        throw unavailable('composed-down');
      },
    } as unknown as Connector;
    const unchecked = { system: 'composed-unchecked' } as unknown as Connector;
    const mediator = await startMediator(
      loadSettings({
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: dir,
        DATABASE_URL: db.databaseUrl,
        AUTH_MODE: 'off',
        LOG_LEVEL: 'silent',
        OUTBOX_MAX_ATTEMPTS: '1',
      }),
      { connectors: [down, unchecked] },
    );
    t.teardown(() => mediator.stop());
    for (const c of [down, unchecked])
      mediator.outbox.register('stock', c.system, async () => {
        throw unavailable(c.system);
      });
    // outbox.maxAttempts 1: each first attempt is the last
    await mediator.outbox.acceptWrite({ flow: 'stock', system: down.system, idempotencyKey: 'down', payload: {} });
    await mediator.outbox.acceptWrite({
      flow: 'stock',
      system: unchecked.system,
      idempotencyKey: 'unchecked',
      payload: {},
    });
    const [held] = await mediator.store.findJobsByKey('down');
    t.match(held, { status: 'pending', attempts: 0 }, 'held uncharged while its check fails (before: dead)');
    t.ok(pinged > 0, 'its own check was asked');
    const [dead] = await mediator.store.findJobsByKey('unchecked');
    t.match(dead, { status: 'dead', attempts: 1, lastError: /Unavailable|503/ }, 'no check: dead with its own error');
  });
}
