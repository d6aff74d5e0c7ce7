/**
 * A 500 from OpenMRS whose cause is a database constraint (SQLState class 23), through the real
 * connector and the sandbox answering as the REST module does (errors.ts databaseError: the cause
 * chain in `message`). Not null, foreign key, check: the same write fails the same way every
 * time, so a 422 naming the column or constraint (never the value), nothing written, not retried
 * until it dead-letters. A duplicate key on a stock operation's create: the operation is looked
 * for under the external reference the write carries; the same content is the write applied, other
 * content a 409 saying so. A deadlock, or a batch another receipt made at the same moment, passes
 * on the retry: transient. Before, every one of these was a transient 502 retried until given up.
 */
import t, { type Test } from 'tap';
import type { startOpenMrsSandbox } from '../../../../sandbox/openmrs/index.js';
import {
  checkViolated,
  columnCannotBeNull,
  deadlock,
  duplicateEntry,
  foreignKeyFails,
  SandboxError,
} from '../../../../sandbox/openmrs/errors.js';
import { amoxicillinCountAtMwangaza, amoxicillinOrderForKilima } from '../../../support/openmrs-amoxicillin-writes.js';
import { memoryJournal } from './journal.js';
import { failure, sandboxConnector } from './rig.js';

const SM = '/openmrs/ws/rest/v1/stockmanagement';
type Sandbox = Awaited<ReturnType<typeof startOpenMrsSandbox>>;

const count = (quantity = 940) => amoxicillinCountAtMwangaza('COUNT-CONSTRAINT-1', quantity);
const order = () => amoxicillinOrderForKilima('ORD-CONSTRAINT-1');

/** The create of a stock operation answers this error, `times` times. */
const createAnswers = (sb: Sandbox, answer: SandboxError, times = 1) =>
  sb.faults.add({
    method: 'POST',
    path: `${SM}/stockoperation`,
    action: { type: 'status', status: answer.status, body: answer.body },
    times,
  });

/** The look before the create misses what is there (a twin not yet visible to it). */
const lookMisses = (sb: Sandbox) =>
  sb.faults.add({
    method: 'GET',
    path: `${SM}/stockoperation`,
    action: { type: 'status', status: 200, body: { results: [] } },
    times: 1,
  });

const creates = (sb: Sandbox) => sb.store.writes['stockoperation.create.stocktake'] ?? 0;

async function refusedFor(t: Test, sb: Sandbox, p: Promise<unknown>, named: RegExp) {
  const err = await failure(p);
  t.equal(err.transient, false, `not retried: ${err.message}`);
  t.equal(err.status, 422);
  t.equal(err.upstreamStatus, 500);
  t.match(err.message, named);
  t.match(err.message, /nothing was kept/);
  t.equal(creates(sb), 0, 'nothing written');
  return err;
}

t.test('a NOT NULL column left empty: 422 naming the column, not retried', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  createAnswers(sb, columnCannotBeNull('operation_date'), 5);
  await refusedFor(t, sb, c.stock!.report(count(), memoryJournal()), /column 'operation_date' cannot be null/);
});

t.test('a foreign key that fails: 422 naming the constraint and its column', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  createAnswers(
    sb,
    foreignKeyFails('stockmgmt_stock_operation', 'stockmgmt_stock_operation_reason_fk', 'reason_id', 'concept'),
    5,
  );
  await refusedFor(
    t,
    sb,
    c.orders!.submit(order(), memoryJournal()),
    /foreign key 'stockmgmt_stock_operation_reason_fk' on column 'reason_id' of stockmgmt_stock_operation/,
  );
});

t.test('a CHECK constraint violated: 422 naming it', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  createAnswers(sb, checkViolated('stockmgmt_stock_operation_item_quantity_chk'), 5);
  await refusedFor(
    t,
    sb,
    c.stock!.report(count(), memoryJournal()),
    /check constraint 'stockmgmt_stock_operation_item_quantity_chk'/,
  );
});

t.test('a deadlock stays transient: the retry writes the count once', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  createAnswers(sb, deadlock());
  const journal = memoryJournal();
  const first = await failure(c.stock!.report(count(), journal));
  t.equal(first.transient, true, first.message);
  t.equal(creates(sb), 0);
  t.equal((await c.stock!.report(count(), journal)).status, 'COMPLETED');
  t.equal(creates(sb), 1);
});

t.test('a batch another receipt made at the same moment: transient, the value sent never shown', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  createAnswers(
    sb,
    duplicateEntry('7-AMX-2401-2031-12-31 00:00:00', 'stockmgmt_stock_batch.stock_item_batch_no_expiration'),
  );
  const journal = memoryJournal();
  const first = await failure(c.stock!.report(count(), journal));
  t.equal(first.transient, true, first.message);
  t.match(first.message, /duplicate key 'stockmgmt_stock_batch\.stock_item_batch_no_expiration'/);
  t.notMatch(first.message, /AMX-2401-2031/, 'the duplicate entry is not echoed');
  t.equal((await c.stock!.report(count(), journal)).status, 'COMPLETED');
  t.equal(creates(sb), 1);
});

t.test('a duplicate key whose record is this write, made by an earlier attempt: applied, not twice', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  const earlier = await c.stock!.report(count(), memoryJournal('first'));
  lookMisses(sb);
  createAnswers(sb, duplicateEntry('COUNT-CONSTRAINT-1', 'stockmgmt_stock_operation.external_reference_uk'));
  const again = await c.stock!.report(count(), memoryJournal('second'));
  t.equal(again.ids.stockOperation, earlier.ids.stockOperation, 'the operation OpenMRS holds');
  t.equal(again.status, 'COMPLETED');
  t.equal(creates(sb), 1, 'written once');
});

t.test('a duplicate key whose record holds other content: 409 saying what differs', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  await c.stock!.report(count(900), memoryJournal('first'));
  lookMisses(sb);
  createAnswers(sb, duplicateEntry('COUNT-CONSTRAINT-1', 'stockmgmt_stock_operation.external_reference_uk'));
  const err = await failure(c.stock!.report(count(940), memoryJournal('second')));
  t.equal(err.transient, false, err.message);
  t.equal(err.status, 409);
  t.match(
    err.message,
    /already holds operation .* under the same external reference, with 1 line\(s\) whose items or quantities/,
  );
  t.notMatch(err.message, /'COUNT-CONSTRAINT-1'/, 'the duplicate entry is not echoed');
  t.equal(creates(sb), 1, 'the first count only');
});

t.test('a duplicate key on a create that is not found under its reference: the 409 stands', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  createAnswers(sb, duplicateEntry('x', 'stockmgmt_stock_operation.uuid'));
  const err = await failure(c.stock!.report(count(), memoryJournal()));
  t.equal(err.transient, false);
  t.equal(err.status, 409);
  t.match(err.message, /duplicate key 'stockmgmt_stock_operation\.uuid'.*already holds a record under that key/);
});

/**
 * The two 1 MB bodies below are read in well under a second of CPU; an unbounded match over them
 * (`[\s\S]*` for the entry) takes minutes. The reading is synchronous regular expressions, so
 * nothing in it can be counted from here: this process's CPU time is the measure, which other
 * processes' load does not inflate as it does the wall clock, with a margin of hundreds of times.
 */
const LINEAR_CPU_MS = 30_000;

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return Math.round((used.user + used.system) / 1000);
}

t.test('a 1 MB 500 body of repeated duplicate-entry fragments is read in linear time', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  // a cause chain cut short, repeated (a long trace): each fragment opens an entry no key closes
  const chain = "Duplicate entry '".repeat(62_000);
  createAnswers(sb, new SandboxError(500, { error: { message: `[ConstraintViolationException => ${chain}]` } }));
  const cpu = process.cpuUsage();
  const err = await failure(c.stock!.report(count(), memoryJournal()));
  t.ok(cpuMsSince(cpu) < LINEAR_CPU_MS, `answered after ${cpuMsSince(cpu)} ms of CPU`);
  t.equal(err.status, 409, err.message.slice(0, 200));
  t.match(err.message, /a duplicate key/);
});

t.test('a duplicate entry after a 1 MB trace: its key is named, its value is not', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  const trace = "\tat org.openmrs.module.Foo.bar(Foo.java:1) 'x'\n".repeat(22_000);
  createAnswers(
    sb,
    new SandboxError(500, {
      error: {
        message: `[${trace}Duplicate entry 'COUNT-CONSTRAINT-1' for key 'stockmgmt_stock_operation.uuid']`,
      },
    }),
  );
  const cpu = process.cpuUsage();
  const err = await failure(c.stock!.report(count(), memoryJournal()));
  t.ok(cpuMsSince(cpu) < LINEAR_CPU_MS, `answered after ${cpuMsSince(cpu)} ms of CPU`);
  t.match(err.message, /duplicate key 'stockmgmt_stock_operation\.uuid'/);
  t.notMatch(err.message, /COUNT-CONSTRAINT-1'/, 'the entry is not echoed');
});
