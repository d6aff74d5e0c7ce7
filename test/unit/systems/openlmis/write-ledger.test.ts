/**
 * The ledger's unresolved notes: an initiate whose outcome nobody learnt holds back other writes
 * on its key until its owner resolves it (the late-landing orphan of the fault-and-crash run,
 * reproduced end to end in test/e2e/systems/openlmis/late-initiate.test.ts). Both ledgers alike.
 */
import t from 'tap';
import { UpstreamError } from '../../../../src/domain/errors.js';
import { countsAgainstSystem } from '../../../../src/outbox/failures.js';
import { openStore } from '../../../../src/store/index.js';
import { newJob } from '../../../support/new-job.js';
import {
  memoryLedger,
  storeLedger,
  type WriteLedger,
} from '../../../../src/systems/openlmis/requisition/write-ledger.js';

const KEY = 'openlmis:initiate:f|p|q|emergency';
const note = (owner: string) => ({ owner, at: new Date().toISOString(), before: [] });

async function ledgers(): Promise<[string, WriteLedger, () => Promise<void>][]> {
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  return [
    ['memory', memoryLedger(), async () => undefined],
    ['store', storeLedger(store), () => store.close()],
  ];
}

t.test('a note stays unresolved until its owner resolves it; resolutions of others do not count', async (t) => {
  for (const [name, ledger, close] of await ledgers()) {
    t.teardown(close);
    await ledger.note(KEY, note('J'));
    await ledger.note(KEY, note('K'));
    t.same(
      (await ledger.unresolved(KEY)).map((n) => n.owner),
      ['K', 'J'],
      `${name}: both open, newest first`,
    );
    await ledger.resolve(KEY, 'K');
    t.same(
      (await ledger.unresolved(KEY)).map((n) => n.owner),
      ['J'],
      `${name}: K resolved, J still open`,
    );
    await ledger.resolve(KEY, 'J');
    t.same(await ledger.unresolved(KEY), [], `${name}: all resolved`);
    await ledger.note(KEY, note('J'));
    t.same(
      (await ledger.unresolved(KEY)).map((n) => n.owner),
      ['J'],
      `${name}: a later note of J is open again`,
    );
    t.same(
      (await ledger.notes(KEY)).map((n) => n.owner),
      ['J', 'K', 'J'],
      `${name}: notes() lists intents only`,
    );
  }
});

t.test('waiting for a write of ours never counts against the system (the breaker stays closed)', async (t) => {
  const waiting = new UpstreamError({
    system: 'openlmis',
    transient: true,
    upstreamStatus: 503,
    code: 'lock-error',
    diagnostics: 'waiting',
  });
  const down = new UpstreamError({
    system: 'openlmis',
    transient: true,
    upstreamStatus: 503,
    diagnostics: 'OpenLMIS answered 503',
  });
  t.equal(countsAgainstSystem(waiting), false);
  t.equal(countsAgainstSystem(down), true);
});

/**
 * A note's owner is its write's outbox job. The resolution is a write of its own beside the job's
 * end; with the database cut at that moment the job ended done and its note, never resolved, held
 * every other order for the facility, program and period back for UNRESOLVED_HOLD_MS (helper E's
 * PostgreSQL outage test). A job that ended done knows what its initiate did: its note is closed.
 */
t.test('a note whose write ended done no longer holds anyone back, resolved or not', async (t) => {
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  t.teardown(() => store.close());
  const ledger = storeLedger(store);
  await store.recordWrites(
    [
      newJob('J-done', { status: 'in-flight', attempts: 1, leaseOwner: 'w', leaseUntil: Date.now() + 60_000 }),
      newJob('J-dead', { status: 'in-flight', attempts: 1, leaseOwner: 'w', leaseUntil: Date.now() + 60_000 }),
      newJob('J-running'),
    ],
    [],
  );
  await ledger.note(KEY, note('J-done'));
  await ledger.note(KEY, note('J-dead'));
  await ledger.note(KEY, note('J-running'));
  t.same(
    (await ledger.unresolved(KEY)).map((n) => n.owner),
    ['J-running', 'J-dead', 'J-done'],
    'all three open while their writes run',
  );
  t.ok(await store.finishJob('J-done', 'w', { status: 'done', result: { system: 'openlmis', ids: {} } }, Date.now()));
  t.ok(
    await store.finishJob(
      'J-dead',
      'w',
      {
        status: 'dead',
        error: { name: 'UpstreamError', status: 504, issues: [{ code: 'timeout', diagnostics: 'no answer' }] },
      },
      Date.now(),
    ),
  );
  t.same(
    (await ledger.unresolved(KEY)).map((n) => n.owner),
    ['J-running', 'J-dead'],
    'the done write no longer holds; a dead one may still have a request in the air, so it does',
  );
});
