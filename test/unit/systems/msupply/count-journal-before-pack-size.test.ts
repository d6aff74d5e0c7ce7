/**
 * A count journaled by the release before each journaled count kept its pack size (the 'counts'
 * step and the line steps' counts in packs alone), resumed by this release from the stored
 * journal: it compares packs as before. Its finalise landed with the answer lost: done when the
 * packs are the journal's; after a pack size change and a retry that brought the line up to date
 * in today's packs, the packs differ and it stays the 409 it was (which size the journal's packs
 * were in is not known), never the count applied again. The same through this release's stored
 * journal (each count with its pack size) compares units, and is done.
 */
import t, { type Test } from 'tap';
import type { StockReport } from '../../../../src/domain/index.js';
import type { MsupplyFaultAction } from '../../../../sandbox/msupply/faults.js';
import { StoreStepJournal } from '../../../../src/outbox/journal.js';
import type { StepJournal } from '../../../../src/routing/ports.js';
import type { Store } from '../../../../src/store/types.js';
import { engineCases, freshStore, type EngineCase } from '../../../support/outbox-engines.js';
import { newJob } from '../../../support/new-job.js';
import { GTIN, ORS, failure, startRig } from './harness.js';

type Rig = Awaited<ReturnType<typeof startRig>>;

/** The stored journal as the release before kept it: counts without their pack size; it can die before finalise. */
class BeforePackSizeJournal implements StepJournal {
  readonly idempotencyKey: string;
  constructor(
    private readonly journal: StoreStepJournal,
    private readonly dieBeforeFinalise = false,
    private readonly strip = true,
  ) {
    this.idempotencyKey = journal.idempotencyKey;
  }
  run<T>(step: string, action: () => Promise<T>): Promise<T> {
    if (step === 'finalise' && this.dieBeforeFinalise) return Promise.reject(new Error('process died before finalise'));
    return this.journal.run(step, async () => (this.strip ? withoutPackSize(await action()) : action()));
  }
}

/** A step's result with `packSize` taken out of each count it holds. */
function withoutPackSize<T>(result: T): T {
  const strip = (c: unknown) => {
    if (!c || typeof c !== 'object') return c;
    const { packSize: _, ...rest } = c as Record<string, unknown>;
    return rest;
  };
  if (Array.isArray(result)) return result.map(strip) as T;
  if (result && typeof result === 'object' && 'count' in result)
    return { ...result, count: strip((result as { count: unknown }).count) } as T;
  return result;
}

const report = (value: string): StockReport => ({
  identifier: { system: 'https://mobile.example.org/counts', value },
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2026-11-21T09:00:00Z',
  facility: { id: 'store-hc-north' },
  lines: [{ product: { system: GTIN, code: ORS }, quantity: { value: 350, unit: 'dispensing-unit' } }],
});

/** The seed's ORS batch N20262: 10 packs of 50. */
const orsLine = (rig: Rig) =>
  [...rig.sb.state.stockLines.values()].find((l) => l.storeId === 'store-hc-north' && l.batch === 'N20262')!;

/**
 * The finalise after the line is brought up to date applies and loses its answer: armed when the
 * line's update arrives (a thenable the sandbox awaits), so the first finalise, refused on the
 * stale snapshot, answers as Open mSupply does.
 */
function loseTheFinaliseAfterUpToDate(rig: Rig) {
  const armed = {
    then(resolve: () => void) {
      rig.sb.faults.add({ operation: 'updateStocktake', action: { type: 'afterApply', answer: 'reset' }, times: 1 });
      resolve();
    },
  };
  const held = { type: 'held', released: armed as unknown as Promise<unknown> } satisfies MsupplyFaultAction;
  rig.sb.faults.add({ operation: 'updateStocktakeLine', action: held, times: 1 });
}

async function jobOf(store: Store, id: string) {
  await store.recordWrite(newJob(id, { flow: 'stock', system: 'msupply', idempotencyKey: `stock|${id}` }));
  return new StoreStepJournal(store, { id });
}

/** The old release's attempt dies before finalise; `meanwhile` happens; this release's finalise lands, its answer lost. */
async function resumedAndLost(
  t: Test,
  engine: EngineCase,
  value: string,
  meanwhile: (rig: Rig) => 'stock moved' | undefined,
  release: 'before' | 'this' = 'before',
) {
  const { store } = await freshStore(engine, t);
  const rig = await startRig();
  t.teardown(() => rig.close());
  await jobOf(store, value);
  const old = new BeforePackSizeJournal(new StoreStepJournal(store, { id: value }), true, release === 'before');
  t.match(String((await failure(rig.connector.stock!.report(report(value), old)))?.message), /died before finalise/);
  const counts = (await store.listSteps(value)).find((s) => s.step === 'counts')?.result;
  t.same(
    counts,
    [{ itemCode: 'ORS205S', counted: 7, ...(release === 'this' ? { packSize: 50 } : {}) }],
    'journaled as 7 packs (of 50 by this release)',
  );
  if (meanwhile(rig) === 'stock moved') loseTheFinaliseAfterUpToDate(rig);
  else rig.sb.faults.add({ operation: 'updateStocktake', action: { type: 'afterApply', answer: 'reset' } });
  const lost = await failure(rig.connector.stock!.report(report(value), new StoreStepJournal(store, { id: value })));
  t.match(String(lost?.message), /other side closed|socket/i, 'the finalise answer lost');
  rig.sb.faults.clear();
  t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'finalised, the answer lost');
  return { rig, retry: () => rig.connector.stock!.report(report(value), new StoreStepJournal(store, { id: value })) };
}

/** A pack size of 70 (the 7 packs of 50 were 350 tablets), and one pack dispensed: the snapshot is stale. */
function packSizeChanged(rig: Rig): 'stock moved' {
  const ors = orsLine(rig);
  ors.packSize = 70;
  ors.totalNumberOfPacks -= 1;
  ors.availableNumberOfPacks -= 1;
  return 'stock moved';
}

for (const engine of engineCases()) {
  t.test(`${engine.name}: no pack size change: the resumed count is done`, { skip: engine.skip }, async (t) => {
    const { rig, retry } = await resumedAndLost(t, engine, 'BEFORE-SIZE-1', () => undefined);
    t.equal((await retry()).status, 'active');
    t.equal(orsLine(rig).totalNumberOfPacks, 7);
  });

  t.test(
    `${engine.name}: brought up to date in new packs: packs compared, a 409 as before`,
    { skip: engine.skip },
    async (t) => {
      const { rig, retry } = await resumedAndLost(t, engine, 'BEFORE-SIZE-2', packSizeChanged);
      t.equal(orsLine(rig).totalNumberOfPacks * orsLine(rig).packSize, 350, 'the 350 tablets landed as 5 packs of 70');
      const err = await failure(retry());
      t.equal(err?.status, 409, `packs compared as before: ${err?.message}`);
      t.match(String(err?.message), /counted 5 packs, not 7/);
      t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'never finalised again');
    },
  );

  t.test(
    `${engine.name}: this release's journal, brought up to date in new packs: units compared, done`,
    { skip: engine.skip },
    async (t) => {
      const { rig, retry } = await resumedAndLost(t, engine, 'BEFORE-SIZE-3', packSizeChanged, 'this');
      t.equal((await retry()).status, 'active', 'the 350 tablets it journaled as 7 packs of 50 are the 5 of 70');
      t.equal(rig.sb.state.counts().finalisedStocktakes, 1, 'finalised once');
    },
  );
}
