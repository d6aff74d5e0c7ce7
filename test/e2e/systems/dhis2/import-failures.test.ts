/**
 * DHIS2 failing an import on its own, end to end: the real mediator process against the DHIS2
 * sandbox as 2.40 (the last version that answers a tracker import's own exception as a 409
 * report `Exception:…` with no error report, and, up to 2.42, a data value import's as a 409
 * ERROR summary "The import process failed: …" with no conflict; sandbox/dhis2/
 * import-failures.ts has the dhis2-core sources). The write is neither refused nor taken for done:
 * the outbox sends it again and it lands once. On SQLite, and on PostgreSQL when
 * TEST_DATABASE_URL is set.
 */
import t, { type Test } from 'tap';
import { RTS } from '../../../../sandbox/dhis2/index.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startDhis2Process } from '../../../support/dhis2-process.js';
import type { MediatorProcess } from '../../../support/mediator-process.js';
import { until } from '../../../support/net.js';
import { marchDistribution, marchStockCountOf } from '../../../support/march-stock-count.js';

const CONDOM = '10860012300034';
const DMPA = '10860012300027';

/** DHIS2 as 2.40, whose import failures are answered as above. */
const rig = (t: Test, name: string, databaseUrl: string, env: Record<string, string> = {}) =>
  startDhis2Process(t, name, databaseUrl, env, { version: '2.40.2' });

type Mediator = MediatorProcess;

/** Posted again by the client: 200 once the outbox made the write, never a refusal meanwhile. */
async function madeOnce(t: Test, mediator: Mediator, resource: unknown) {
  const answers: number[] = [];
  await until(
    'the resource posted again answered with the write made',
    async () => {
      const r = await mediator.fhir('POST', '/fhir/R5/InventoryReport', resource);
      if (r !== 'no answer') answers.push(r.status);
      return r !== 'no answer' && r.status === 200;
    },
    30_000,
  );
  t.same(
    answers.filter((s) => s >= 400),
    [],
    'never answered as refused',
  );
}

for (const engine of engineCases()) {
  t.test(`${engine.name}: writes DHIS2 failed on its own are sent again`, { skip: engine.skip }, async (t) => {
    await t.test('data values: two imports fail inside DHIS2 (409, no conflict), the third lands', async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const { sb, mediator } = await rig(t, 'dhis2-import-failed-values', db.databaseUrl);
      const hc = sb.state.summary().orgUnits['LK-HC-101'];
      sb.state.importFailures.failNext(2);
      const march = marchStockCountOf(hc, 'HC101-2024-03-FAILED', [
        [CONDOM, 300],
        [DMPA, 45],
      ]);
      const posted = await mediator.fhir('POST', '/fhir/R5/InventoryReport', march);
      t.ok(posted !== 'no answer' && [201, 202].includes(posted.status), 'accepted');
      await until('both failures met', async () => sb.state.importFailures.pending === 0, 30_000);
      await madeOnce(t, mediator, march);
      t.equal(sb.state.count('POST', '/api/dataValueSets'), 3, 'two failed imports, then the one that landed');
      t.same(
        sb.state.imports.map((i) => [i.values, i.imported]),
        [[2, 2]],
        'the values imported by one import',
      );
      t.equal(sb.state.dataValues.size, 2);
    });

    await t.test('RTS: a tracker import fails inside DHIS2 (409 Exception report), then lands', async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const { sb, mediator } = await rig(t, 'dhis2-import-failed-rts', db.databaseUrl, {
        DHIS2_DATA_SET: '',
        DHIS2_RTS_PROGRAM: RTS.program,
        DHIS2_STOCK_TARGET: 'rts',
      });
      const hc = sb.state.summary().orgUnits['LK-HC-101'];
      const distributed = () =>
        [...sb.tracker.events.values()].filter((e) =>
          e.dataValues.some((d) => d.dataElement === RTS.stockDistributed && d.value === '85'),
        );
      const events = sb.tracker.events.size;
      sb.state.importFailures.failNext(1);
      const sent = marchDistribution(hc, 'HC101-RTS-DIST-FAILED', 85);
      const posted = await mediator.fhir('POST', '/fhir/R5/InventoryReport', sent);
      t.ok(posted !== 'no answer' && [201, 202].includes(posted.status), 'accepted');
      await madeOnce(t, mediator, sent);
      t.equal(distributed().length, 1, 'one distribution of 85');
      t.equal(sb.tracker.events.size, events + 1, 'one event added');
      t.equal(sb.state.count('POST', '/api/tracker'), 2, 'the failed import, then the one that landed');
    });
  });
}
