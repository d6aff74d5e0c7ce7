/**
 * The ledger's unresolved notes: an initiate whose outcome nobody learnt holds back other writes
 * on its key until its owner resolves it (the late-landing orphan of the fault-and-crash run,
 * reproduced end to end in test/e2e/systems/openlmis/late-initiate.test.ts). Both ledgers alike.
 */
import t from 'tap';
import { UpstreamError } from '../../../../src/domain/errors.js';
import { countsAgainstSystem } from '../../../../src/outbox/failures.js';
import { openStore } from '../../../../src/store/index.js';
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
