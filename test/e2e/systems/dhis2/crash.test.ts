/**
 * DHIS2 writes across a SIGKILL: the real mediator process (spawned) is killed while DHIS2 has
 * applied a call of a write whose answer it never got (the sandbox holds the answer), and
 * restarted on the same database. Each write ends applied exactly once. SQLite always, PostgreSQL
 * when TEST_DATABASE_URL is set.
 *
 * Kill points, each after DHIS2 applied a call and before the mediator journaled it:
 * - a month's InventoryReport sent as data values in two chunks (dhis2.chunkSize): the second
 *   chunk's import; the restarted job does not send the first chunk again (journaled) and sends
 *   the second again, which DHIS2 finds unchanged: every value imported once;
 * - the same report imported as an async task (dhis2.asyncThreshold): killed while it polls the
 *   task DHIS2 has run; the restarted job imports again, which DHIS2 finds unchanged;
 * - a consignment (SupplyDelivery) written as tracker events: the import; sent again under the
 *   same event UIDs, the events are updated, not doubled;
 * - a distribution written to RTS (dhis2.stockTarget=rts) as a transaction event whose UID comes
 *   from the outbox key: the import; the restarted job keeps its key, so the same event again.
 */
import t from 'tap';
import { CONSIGNMENT, RTS } from '../../../../sandbox/dhis2/index.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startDhis2Process } from '../../../support/dhis2-process.js';
import { until } from '../../../support/net.js';
import { marchDistribution, marchStockCountOf } from '../../../support/march-stock-count.js';
import { CONSIGNMENT_ENV, consignmentDelivery } from '../../../support/dhis2-consignments.js';

const CONDOM = '10860012300034';
const DMPA = '10860012300027';
const ZINC = '10860012300089';

const consignment = (location: string) =>
  consignmentDelivery({
    shipment: 'SHP-CRASH-1',
    location,
    lines: [
      { gtin: CONDOM, value: 10, unit: 'pack' },
      { gtin: DMPA, value: 30, unit: 'dispensing-unit' },
    ],
  });

for (const engine of engineCases()) {
  t.test(`${engine.name}: DHIS2 writes killed mid-way end applied once`, { skip: engine.skip }, async (t) => {
    await t.test('data values in two chunks, killed after DHIS2 imported the second', async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const { sb, mediator } = await startDhis2Process(t, 'dhis2-crash-values', db.databaseUrl, {
        DHIS2_CHUNK_SIZE: '2',
      });
      const hc = sb.state.summary().orgUnits['LK-HC-101'];
      // the first chunk goes through; the second is imported and its answer never sent
      sb.faults.add({ method: 'POST', path: '/api/dataValueSets', times: 1, action: { type: 'delay', ms: 1 } });
      sb.faults.add({
        method: 'POST',
        path: '/api/dataValueSets',
        times: 1,
        action: { type: 'afterApply', answer: { type: 'hang' } },
      });
      const march = marchStockCountOf(hc, 'HC101-2024-03-CRASH', [
        [CONDOM, 300],
        [DMPA, 45],
        [ZINC, 120],
      ]);
      const pending = mediator.fhir('POST', '/fhir/R5/InventoryReport', march);
      await until('the second chunk imported', async () => sb.state.imports.length === 2);
      await mediator.kill();
      t.equal(await pending, 'no answer', 'the client got no answer from the killed mediator');
      t.equal(sb.state.dataValues.size, 3, 'all three values in DHIS2 before the restart');

      await mediator.restart();
      await until('the second chunk sent again', async () => sb.state.imports.length >= 3, 30_000);
      // posted again by the client: answered 200 (the write made) once the restarted job is done
      await until(
        'the report posted again answered with the write made',
        async () => {
          const r = await mediator.fhir('POST', '/fhir/R5/InventoryReport', march);
          return r !== 'no answer' && r.status === 200;
        },
        30_000,
      );
      t.same(
        sb.state.imports.map((i) => i.values),
        [2, 1, 1],
        'the first chunk (journaled) not sent again; the second sent again',
      );
      t.same(
        sb.state.imports.map((i) => i.imported),
        [2, 1, 0],
        'each value imported once: the second chunk again found unchanged',
      );
      t.equal(sb.state.dataValues.size, 3, 'three values, no more');
      t.equal(sb.state.count('POST', '/api/dataValueSets'), 3, 'posting it again sent nothing to DHIS2');
    });

    await t.test('data values as an async task, killed while polling the task DHIS2 ran', async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const { sb, mediator } = await startDhis2Process(t, 'dhis2-crash-async', db.databaseUrl, {
        DHIS2_ASYNC_THRESHOLD: '1',
      });
      const hc = sb.state.summary().orgUnits['LK-HC-101'];
      const poll = sb.faults.add({
        method: 'GET',
        path: '/api/system/tasks/DATAVALUE_IMPORT/*',
        times: 1,
        action: { type: 'hang' },
      });
      const march = marchStockCountOf(hc, 'HC101-2024-03-ASYNC', [
        [CONDOM, 300],
        [DMPA, 45],
        [ZINC, 120],
      ]);
      const pending = mediator.fhir('POST', '/fhir/R5/InventoryReport', march);
      await until(
        'the task run and polled',
        async () => sb.state.imports.length === 1 && sb.faults.list().find((f) => f.id === poll.id)!.hits === 1,
      );
      await mediator.kill();
      t.equal(await pending, 'no answer', 'the client got no answer from the killed mediator');
      t.equal(sb.state.dataValues.size, 3, 'all three values in DHIS2 before the restart');

      await mediator.restart();
      await until(
        'the report posted again answered with the write made',
        async () => {
          const r = await mediator.fhir('POST', '/fhir/R5/InventoryReport', march);
          return r !== 'no answer' && r.status === 200;
        },
        30_000,
      );
      t.same(
        sb.state.imports.map((i) => [i.imported, i.ignored]),
        [
          [3, 0],
          [0, 3],
        ],
        'imported by the first task; the restarted job imported again, all found unchanged',
      );
      t.equal(sb.state.dataValues.size, 3, 'three values, no more');
    });

    await t.test('a consignment killed after DHIS2 imported its events', async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const { sb, mediator } = await startDhis2Process(t, 'dhis2-crash-consignment', db.databaseUrl, {
        ...CONSIGNMENT_ENV,
      });
      const hc = sb.state.summary().orgUnits['LK-HC-103'];
      const consignments = () => [...sb.tracker.events.values()].filter((e) => e.program === CONSIGNMENT.program);
      const quantities = () =>
        consignments()
          .map((e) => e.dataValues.find((d) => d.dataElement === CONSIGNMENT.quantity)?.value)
          .sort();
      const before = consignments().length;
      sb.faults.add({
        method: 'POST',
        path: '/api/tracker',
        times: 1,
        action: { type: 'afterApply', answer: { type: 'hang' } },
      });
      const delivery = consignment(hc);
      const pending = mediator.fhir('POST', '/fhir/R5/SupplyDelivery', delivery);
      await until('the events imported', async () => consignments().length === before + 2);
      await mediator.kill();
      t.equal(await pending, 'no answer', 'the client got no answer from the killed mediator');
      const imports = sb.state.count('POST', '/api/tracker');

      await mediator.restart();
      await until('the events sent again', async () => sb.state.count('POST', '/api/tracker') > imports, 30_000);
      await until(
        'the delivery posted again answered with the write made',
        async () => {
          const r = await mediator.fhir('POST', '/fhir/R5/SupplyDelivery', delivery);
          return r !== 'no answer' && r.status === 200;
        },
        30_000,
      );
      t.equal(consignments().length, before + 2, 'two events, one per line: none doubled');
      t.same(quantities(), ['1440', '30'], '10 packs of 144 condoms; 30 DMPA, each once');
      t.equal(sb.state.count('POST', '/api/tracker'), imports + 1, 'sent again once after the restart, no more');
    });

    await t.test('an RTS distribution killed after DHIS2 imported its event', async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const { sb, mediator } = await startDhis2Process(t, 'dhis2-crash-rts', db.databaseUrl, {
        DHIS2_DATA_SET: '',
        DHIS2_RTS_PROGRAM: RTS.program,
        DHIS2_STOCK_TARGET: 'rts',
      });
      const hc = sb.state.summary().orgUnits['LK-HC-101'];
      const distributed = () =>
        [...sb.tracker.events.values()].filter((e) =>
          e.dataValues.some((d) => d.dataElement === RTS.stockDistributed && d.value === '85'),
        );
      sb.faults.add({
        method: 'POST',
        path: '/api/tracker',
        times: 1,
        action: { type: 'afterApply', answer: { type: 'hang' } },
      });
      const sent = marchDistribution(hc, 'HC101-RTS-DIST-CRASH', 85);
      const pending = mediator.fhir('POST', '/fhir/R5/InventoryReport', sent);
      await until('the event imported', async () => distributed().length === 1);
      await mediator.kill();
      t.equal(await pending, 'no answer', 'the client got no answer from the killed mediator');
      const events = sb.tracker.events.size;
      const imports = sb.state.count('POST', '/api/tracker');

      await mediator.restart();
      await until('the event sent again', async () => sb.state.count('POST', '/api/tracker') > imports, 30_000);
      await until(
        'the report posted again answered with the write made',
        async () => {
          const r = await mediator.fhir('POST', '/fhir/R5/InventoryReport', sent);
          return r !== 'no answer' && r.status === 200;
        },
        30_000,
      );
      t.equal(distributed().length, 1, 'one distribution of 85: the same event UID sent again');
      t.equal(sb.tracker.events.size, events, 'no event added after the restart');
      t.equal(sb.state.count('POST', '/api/tracker'), imports + 1, 'sent again once after the restart, no more');
    });
  });
}
