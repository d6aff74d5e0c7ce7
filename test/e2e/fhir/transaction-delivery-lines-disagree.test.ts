/**
 * On R4 a delivery is one SupplyDelivery per line, and a transaction's lines of one delivery (one
 * delivery number) are written as one delivery. Lines that disagreed on the delivery's own fields
 * (status, date received, receiver, destination) were merged with the last line winning, silently: a
 * transaction whose first line said "in progress" confirmed the whole proof of delivery. The lines
 * of one order already refuse such a disagreement (422); now the lines of one delivery do too,
 * each disagreeing entry named at its element, and nothing is recorded or sent. Lines that agree
 * (or leave a field unsaid, status too) still confirm the delivery, and lines received on one day
 * at different times agree (an app stamps each line as scanned). The 422 of a long delivery names a
 * few other lines, not all of them in every issue. On R5 a delivery is one SupplyDelivery: two
 * entries of one delivery number are a 400 naming the later, nothing written (the earlier was
 * dropped silently). Through the real mediator, the OpenLMIS connector and its sandbox, on both
 * store engines.
 */
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { shippedDelivery, startRigOn, why, writesSince, type Rig } from '../../support/openlmis-e2e.js';

type Resource = Record<string, any>;

const NS = 'http://fhir-supply-mediator.org/fhir';

/** The R4 lines of the proof of delivery `podId` at `facility`, as a client lists them. */
async function r4Lines(t: Test, rig: Rig, facility: string, podId: string): Promise<Resource[]> {
  const listed = await rig.fhir(
    'GET',
    `/fhir/SupplyDelivery?destination=Location/${rig.lmis.seed.facilities[facility]}`,
  );
  t.equal(listed.status, 200, why(listed));
  return (listed.body.entry ?? [])
    .map((e: Resource) => e.resource)
    .filter((r: Resource) => r.identifier?.some((i: Resource) => i.value === podId));
}

/** A line as read, confirmed as a client does: completed, everything accepted, that day, by that person. */
function confirmedLine(read: Resource): Resource {
  const { meta: _meta, ...line } = structuredClone(read);
  const shipped = line.suppliedItem.extension.find((e: Resource) => e.url.endsWith('/quantity-shipped'));
  return {
    ...line,
    status: 'completed',
    occurrenceDateTime: '2026-11-30T09:15:00Z',
    receiver: [{ display: 'Nurse Achieng' }],
    suppliedItem: { ...line.suppliedItem, quantity: { ...shipped.valueQuantity } },
  };
}

function putAll(lines: Resource[]): Resource {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: lines.map((r) => ({ resource: r, request: { method: 'PUT', url: `SupplyDelivery/${r.id}` } })),
  };
}

for (const engine of engineCases())
  t.test(
    `R4 lines of one delivery that disagree are a 422 naming each (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const { podId } = await shippedDelivery(rig, 'LK-HC-105', 'LINES-DISAGREE', [
        { productCode: 'EM-ORS', qty: 100 },
        { productCode: 'EM-AMX250', qty: 300 },
        { productCode: 'EM-PCM500', qty: 200 },
      ]);
      const elsewhere = rig.lmis.seed.facilities['LK-HC-101'];
      const read = await r4Lines(t, rig, 'LK-HC-105', podId);
      t.equal(read.length, 3, 'the proof of delivery reads as three R4 lines');
      const lines = read.map(confirmedLine);
      const admin = await rig.lmis.login();
      const pod = async () => (await rig.lmis.call('GET', `/api/proofsOfDelivery/${podId}`, admin)).body;
      const before = rig.lmis.sb.state.requestCount();
      const jobs = (await rig.mediator.store.listJobs()).length;

      for (const [label, field, change, values] of [
        ['status', 'status', { status: 'in-progress' }, /'in-progress'.*'completed'|'completed'.*'in-progress'/],
        [
          'date received',
          'occurrenceDateTime',
          { occurrenceDateTime: '2026-12-01T09:15:00Z' },
          /2026-12-01T09:15:00Z.*2026-11-30T09:15:00Z|2026-11-30T09:15:00Z.*2026-12-01T09:15:00Z/,
        ],
        [
          'receiver',
          'receiver',
          { receiver: [{ display: 'Clerk Otieno' }] },
          /Clerk Otieno.*Nurse Achieng|Nurse Achieng.*Clerk Otieno/,
        ],
        ['destination', 'destination', { destination: { reference: `Location/${elsewhere}` } }, new RegExp(elsewhere)],
      ] as const) {
        // the first line disagrees with the two after it: the last would have won
        const res = await rig.fhir('POST', '/fhir', putAll([{ ...lines[0], ...change }, lines[1], lines[2]]));
        t.equal(res.status, 422, `lines disagreeing on ${label}: ${why(res)}`);
        const issues: Resource[] = res.body.issue ?? [];
        t.same(
          issues.map((i) => i.expression),
          [0, 1, 2].map((i) => [`Bundle.entry[${i}].resource.${field}`]),
          `${label}: every line of the delivery named at its ${field}`,
        );
        for (const issue of issues) {
          t.equal(issue.code, 'business-rule');
          t.match(issue.diagnostics, values, `${label}: says both values`);
          t.match(issue.diagnostics, new RegExp(`delivery ${podId}`), `${label}: names the delivery`);
        }
      }
      t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');
      t.equal((await rig.mediator.store.listJobs()).length, jobs, 'nothing recorded');
      t.match(await pod(), { status: 'INITIATED' }, 'the proof of delivery is not confirmed');

      // lines that agree, one leaving the date and receiver unsaid: the delivery is confirmed
      const { occurrenceDateTime: _d, receiver: _r, ...quiet } = lines[1];
      const ok = await rig.fhir('POST', '/fhir', putAll([lines[0], quiet, lines[2]]));
      t.equal(ok.status, 200, `lines that agree: ${why(ok)}`);
      t.match(await pod(), { status: 'CONFIRMED', receivedDate: '2026-11-30', receivedBy: 'Nurse Achieng' });

      await t.test('a long delivery: each issue names a few others', (t) => longDelivery(t, rig));
      await t.test('lines received one day at different times agree', (t) => sameDayTimes(t, rig));
      await t.test('one instant in two offsets across midnight agrees', (t) => acrossMidnight(t, rig));
      await t.test('one instant in two offsets: the same verdict in any line order', (t) => instantAnyOrder(t, rig));
      await t.test('a line leaving its status unsaid agrees', (t) => statusUnsaid(t, rig));
      await t.test('R5: two entries of one delivery are a 400', (t) => twoR5Entries(t, rig));
      await t.test('a supplier a later line states is kept', (t) => supplierLater(t, rig));
      await t.test('a destination by id and by identifier is compared', (t) => destinationForms(t, rig));
      await t.test('a destination by id not readable now is held, not passed', (t) => destinationUnread(t, rig));
      await t.test('a destination by id the mediator may not read is refused, not passed', (t) =>
        destinationForbidden(t, rig),
      );
    },
  );

const FIVE = ['EM-ORS', 'EM-AMX250', 'EM-PCM500', 'EM-CTX480', 'EM-ZNC20'].map((productCode) => ({
  productCode,
  qty: 100,
}));

/** Five lines, the first in progress: its issue names three of the four others and "1 more". */
async function longDelivery(t: Test, rig: Rig): Promise<void> {
  const { podId } = await shippedDelivery(rig, 'LK-HC-102', 'LINES-LONG', FIVE);
  const lines = (await r4Lines(t, rig, 'LK-HC-102', podId)).map(confirmedLine);
  t.equal(lines.length, 5);
  const res = await rig.fhir('POST', '/fhir', putAll([{ ...lines[0], status: 'in-progress' }, ...lines.slice(1)]));
  t.equal(res.status, 422, why(res));
  const first = res.body.issue[0];
  t.same(first.expression, ['Bundle.entry[0].resource.status']);
  t.match(
    first.diagnostics,
    /Bundle\.entry\[1\] 'completed', Bundle\.entry\[2\] 'completed', Bundle\.entry\[3\] 'completed' and 1 more\)/,
  );
  t.notMatch(first.diagnostics, /Bundle\.entry\[4\]/, 'the fourth other is counted, not named');
}

/**
 * Lines stamped as scanned, one a date only and one in another zone's offset, all on 30 November
 * in their own offsets: one delivery received that day, its time the latest stated (09:17Z).
 */
async function sameDayTimes(t: Test, rig: Rig): Promise<void> {
  const { podId } = await shippedDelivery(rig, 'LK-HC-104', 'LINES-SAME-DAY', FIVE.slice(0, 3));
  const [a, b, c] = (await r4Lines(t, rig, 'LK-HC-104', podId)).map(confirmedLine);
  const jobs = new Set((await rig.mediator.store.listJobs()).map((j) => j.id));
  const res = await rig.fhir(
    'POST',
    '/fhir',
    putAll([
      { ...a, occurrenceDateTime: '2026-11-30T09:15:00Z' },
      { ...b, occurrenceDateTime: '2026-11-30T12:17:00+03:00' },
      { ...c, occurrenceDateTime: '2026-11-30' },
    ]),
  );
  t.equal(res.status, 200, `times of one day: ${why(res)}`);
  const admin = await rig.lmis.login();
  const pod = (await rig.lmis.call('GET', `/api/proofsOfDelivery/${podId}`, admin)).body;
  t.match(pod, { status: 'CONFIRMED', receivedDate: '2026-11-30' });
  const written = (await rig.mediator.store.listJobs()).filter((j) => !jobs.has(j.id));
  t.equal(written.length, 1, 'one delivery written');
  t.equal((written[0]?.payload as { occurredAt?: string }).occurredAt, '2026-11-30T12:17:00+03:00', 'the latest time');
}

/**
 * One instant written in two offsets across midnight (23:30 at -02:00 is 01:30Z the next day), and
 * a date only: one day in the offset of the time written (the first of the equal instants, the
 * latest stated), 30 November, which OpenLMIS receives. Times on two days in that offset are a 422
 * naming each line at occurrenceDateTime with the day each was read as.
 */
async function acrossMidnight(t: Test, rig: Rig): Promise<void> {
  const { podId } = await shippedDelivery(rig, 'LK-HP-407', 'LINES-MIDNIGHT', FIVE.slice(0, 3));
  const [a, b, c] = (await r4Lines(t, rig, 'LK-HP-407', podId)).map(confirmedLine);
  const before = rig.lmis.sb.state.requestCount();
  const apart = await rig.fhir(
    'POST',
    '/fhir',
    putAll([
      { ...a, occurrenceDateTime: '2026-11-30T23:30:00-02:00' },
      { ...b, occurrenceDateTime: '2026-12-02T00:10:00+01:00' },
      c,
    ]),
  );
  t.equal(apart.status, 422, `two days in the offset of the time written: ${why(apart)}`);
  t.same(
    (apart.body.issue ?? []).map((i: Resource) => i.expression),
    [0, 1, 2].map((i) => [`Bundle.entry[${i}].resource.occurrenceDateTime`]),
  );
  t.match(
    apart.body.issue?.[0]?.diagnostics,
    /Bundle\.entry\[0\] is a line of delivery .* with date received \(occurrenceDateTime\) '2026-11-30T23:30:00-02:00' \(2026-12-01 at \+01:00\), but .*Bundle\.entry\[1\] '2026-12-02T00:10:00\+01:00' \(2026-12-02 at \+01:00\)/,
    'names the lines, the field and the day each is on',
  );
  t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');

  const res = await rig.fhir(
    'POST',
    '/fhir',
    putAll([
      { ...a, occurrenceDateTime: '2026-11-30T23:30:00-02:00' },
      { ...b, occurrenceDateTime: '2026-12-01T01:30:00Z' },
      { ...c, occurrenceDateTime: '2026-11-30' },
    ]),
  );
  t.equal(res.status, 200, `one instant in two offsets: ${why(res)}`);
  const admin = await rig.lmis.login();
  const pod = (await rig.lmis.call('GET', `/api/proofsOfDelivery/${podId}`, admin)).body;
  t.match(pod, { status: 'CONFIRMED', receivedDate: '2026-11-30' }, 'the day of the time written, in its offset');
}

/**
 * The lines of acrossMidnight that agree, the UTC spelling of the instant first: which of two
 * spellings of one instant the delivery is written with (its day, OpenLMIS's receivedDate) was the
 * first line's, so this order read the date-only line against UTC's day (1 December) and was a 422.
 * Now the spelling in a local offset is taken whatever the order: 200, received 30 November.
 */
async function instantAnyOrder(t: Test, rig: Rig): Promise<void> {
  const { podId } = await shippedDelivery(rig, 'LK-HP-409', 'LINES-ANY-ORDER', FIVE.slice(0, 3));
  const [a, b, c] = (await r4Lines(t, rig, 'LK-HP-409', podId)).map(confirmedLine);
  const res = await rig.fhir(
    'POST',
    '/fhir',
    putAll([
      { ...b, occurrenceDateTime: '2026-12-01T01:30:00Z' },
      { ...a, occurrenceDateTime: '2026-11-30T23:30:00-02:00' },
      { ...c, occurrenceDateTime: '2026-11-30' },
    ]),
  );
  t.equal(res.status, 200, `one instant in two offsets, UTC's first: ${why(res)}`);
  const admin = await rig.lmis.login();
  const pod = (await rig.lmis.call('GET', `/api/proofsOfDelivery/${podId}`, admin)).body;
  t.match(pod, { status: 'CONFIRMED', receivedDate: '2026-11-30' }, 'the day in the local offset');
}

/**
 * Lines in progress, the last leaving its status unsaid: it agrees, and the delivery written is in
 * progress (the status the lines state, not the last line's decoded default "completed").
 */
async function statusUnsaid(t: Test, rig: Rig): Promise<void> {
  const { podId } = await shippedDelivery(rig, 'LK-HC-103', 'LINES-UNSAID', FIVE.slice(0, 3));
  const [a, b, c] = (await r4Lines(t, rig, 'LK-HC-103', podId)).map(confirmedLine);
  const { status: _s, ...unsaid } = c;
  const jobs = new Set((await rig.mediator.store.listJobs()).map((j) => j.id));
  const res = await rig.fhir(
    'POST',
    '/fhir',
    putAll([{ ...a, status: 'in-progress' }, { ...b, status: 'in-progress' }, unsaid]),
  );
  t.equal(res.status, 200, `a status unsaid is no disagreement: ${why(res)}`);
  const written = (await rig.mediator.store.listJobs()).filter((j) => !jobs.has(j.id));
  t.equal(written.length, 1, 'one delivery written');
  t.equal((written[0]?.payload as { status?: string }).status, 'in-progress', 'the status the lines state');
}

/** A supplier only a later line states is the delivery's (the merge kept the first line's none). */
async function supplierLater(t: Test, rig: Rig): Promise<void> {
  const { podId } = await shippedDelivery(rig, 'LK-HP-406', 'LINES-SUPPLIER', FIVE.slice(0, 2));
  const [a, b] = (await r4Lines(t, rig, 'LK-HP-406', podId)).map(confirmedLine);
  const { supplier: _a, ...first } = a;
  const { supplier: _b, ...second } = b;
  const jobs = new Set((await rig.mediator.store.listJobs()).map((j) => j.id));
  const res = await rig.fhir('POST', '/fhir', putAll([first, { ...second, supplier: { display: 'Driver Banda' } }]));
  t.equal(res.status, 200, why(res));
  const written = (await rig.mediator.store.listJobs()).filter((j) => !jobs.has(j.id));
  t.equal(
    (written[0]?.payload as { supplier?: { display?: string } }).supplier?.display,
    'Driver Banda',
    'the supplier the later line states',
  );
}

/**
 * R5: two entries of one delivery number under two ids (PUT and PUT, POST and PUT) are a 400
 * naming the later at its identifier; nothing reaches OpenLMIS.
 */
async function twoR5Entries(t: Test, rig: Rig): Promise<void> {
  const { podId, read } = await shippedDelivery(rig, 'LK-HC-101', 'R5-TWO-ENTRIES', FIVE.slice(0, 2));
  const { meta: _m, ...content } = structuredClone(read);
  const items: Resource[] = content.suppliedItem;
  for (const item of items)
    item.quantity = { ...item.extension.find((e: Resource) => e.url.endsWith('/quantity-shipped')).valueQuantity };
  const confirmed = { ...content, status: 'completed', occurrenceDateTime: '2026-11-30T09:15:00Z' };
  const other = randomUUID();
  const first = { ...confirmed, suppliedItem: [items[0]] };
  const second = { ...confirmed, id: other, suppliedItem: [items[1]] };
  const { id: _id, ...created } = first;
  const before = rig.lmis.sb.state.requestCount();
  for (const [label, entry0] of [
    ['PUT, PUT', { resource: first, request: { method: 'PUT', url: `SupplyDelivery/${podId}` } }],
    ['POST, PUT', { resource: created, request: { method: 'POST', url: 'SupplyDelivery' } }],
  ] as const) {
    const res = await rig.fhir('POST', '/fhir/R5', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [entry0, { resource: second, request: { method: 'PUT', url: `SupplyDelivery/${other}` } }],
    });
    t.equal(res.status, 400, `${label}: ${why(res)}`);
    t.same(
      (res.body.issue ?? []).map((i: Resource) => [i.code, i.expression]),
      [['invalid', ['Bundle.entry[1].resource.identifier']]],
      `${label}: the later entry named`,
    );
    t.match(res.body.issue?.[0]?.diagnostics, /as Bundle\.entry\[0\] is: on R5 a delivery is one SupplyDelivery/);
  }
  t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');
}

/**
 * One line names the destination by reference, the next by identifier (its OpenLMIS code): the
 * merge kept one form, so another facility's code passed. Now another facility's code is a 422 at
 * the identifier line's destination, nothing written; the facility's own code agrees.
 */
async function destinationForms(t: Test, rig: Rig): Promise<void> {
  const { podId } = await shippedDelivery(rig, 'LK-HP-408', 'LINES-DEST-FORMS', FIVE.slice(0, 2));
  const [a, b] = (await r4Lines(t, rig, 'LK-HP-408', podId)).map(confirmedLine);
  const here = { reference: `Location/${rig.lmis.seed.facilities['LK-HP-408']}` };
  const code = (value: string) => ({ identifier: { system: `${NS}/identifier/openlmis-facility-code`, value } });
  const before = rig.lmis.sb.state.requestCount();
  const other = await rig.fhir(
    'POST',
    '/fhir',
    putAll([
      { ...a, destination: here },
      { ...b, destination: code('LK-HC-101') },
    ]),
  );
  t.equal(other.status, 422, `another facility's code: ${why(other)}`);
  t.same(
    (other.body.issue ?? []).map((i: Resource) => i.expression),
    [['Bundle.entry[1].resource.destination']],
  );
  t.match(other.body.issue?.[0]?.diagnostics, /LK-HC-101'.*Bundle\.entry\[0\] names it Location\//);
  t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');

  const same = await rig.fhir(
    'POST',
    '/fhir',
    putAll([
      { ...a, destination: here },
      { ...b, destination: code('LK-HP-408') },
    ]),
  );
  t.equal(same.status, 200, `the facility's own code: ${why(same)}`);
  const admin = await rig.lmis.login();
  const pod = (await rig.lmis.call('GET', `/api/proofsOfDelivery/${podId}`, admin)).body;
  t.match(pod, { status: 'CONFIRMED' });
}

/**
 * destinationForms when Location X cannot be read now (OpenLMIS's facility answers 503): the pair
 * was let through unchecked, and the merge kept one form, so the write (or its queued delivery,
 * which never sees the other line) could confirm at a facility the other line contradicts. Now
 * the transaction is a transient error naming both lines, nothing written or queued; once X
 * reads, the pair is compared as usual.
 */
async function destinationUnread(t: Test, rig: Rig): Promise<void> {
  const { podId } = await shippedDelivery(rig, 'LK-HP-410', 'LINES-DEST-UNREAD', FIVE.slice(0, 2));
  const [a, b] = (await r4Lines(t, rig, 'LK-HP-410', podId)).map(confirmedLine);
  const id = rig.lmis.seed.facilities['LK-HP-410'];
  const bundle = putAll([
    { ...a, destination: { reference: `Location/${id}` } },
    { ...b, destination: { identifier: { system: `${NS}/identifier/openlmis-facility-code`, value: 'LK-HC-101' } } },
  ]);
  const jobs = new Set((await rig.mediator.store.listJobs()).map((j) => j.id));
  const before = rig.lmis.sb.state.requestCount();
  const down = rig.lmis.sb.faults.add({
    method: 'GET',
    path: '/api/facilities/**',
    action: { type: 'status', status: 503 },
  });
  const held = await rig.fhir('POST', '/fhir', bundle);
  rig.lmis.sb.faults.remove(down.id);
  t.ok(held.status >= 500, `Location X unread: a transient error, ${why(held)}`);
  t.match(
    held.body.issue?.[0]?.diagnostics,
    /Location\/.*cannot be read now.*Bundle\.entry\[1\].*LK-HC-101/,
    'names the lines and why',
  );
  t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');
  t.same(
    (await rig.mediator.store.listJobs()).filter((j) => !jobs.has(j.id)),
    [],
    'nothing queued',
  );
  const admin = await rig.lmis.login();
  t.match((await rig.lmis.call('GET', `/api/proofsOfDelivery/${podId}`, admin)).body, { status: 'INITIATED' });

  const again = await rig.fhir('POST', '/fhir', bundle);
  t.equal(again.status, 422, `read now, the pair is compared: ${why(again)}`);
}

/**
 * Location X read refused for good (OpenLMIS answers 403: the mediator's user lacks the right): as
 * unread now, whether X is the facility another line names by identifier cannot be told, so the
 * pair is not let through unchecked (the write would resolve the one form the merge kept); the
 * read's failure, naming the lines, nothing written or queued.
 */
async function destinationForbidden(t: Test, rig: Rig): Promise<void> {
  const { podId } = await shippedDelivery(rig, 'LK-HP-411', 'LINES-DEST-FORBIDDEN', FIVE.slice(0, 2));
  const [a, b] = (await r4Lines(t, rig, 'LK-HP-411', podId)).map(confirmedLine);
  const id = rig.lmis.seed.facilities['LK-HP-411'];
  const bundle = putAll([
    { ...a, destination: { reference: `Location/${id}` } },
    { ...b, destination: { identifier: { system: `${NS}/identifier/openlmis-facility-code`, value: 'LK-HC-101' } } },
  ]);
  const jobs = new Set((await rig.mediator.store.listJobs()).map((j) => j.id));
  const before = rig.lmis.sb.state.requestCount();
  const refused = rig.lmis.sb.faults.add({
    method: 'GET',
    path: '/api/facilities/**',
    action: { type: 'status', status: 403 },
  });
  const res = await rig.fhir('POST', '/fhir', bundle);
  rig.lmis.sb.faults.remove(refused.id);
  t.ok(res.status >= 500, `Location X read refused: ${why(res)}`);
  t.match(
    res.body.issue?.[0]?.diagnostics,
    /Location\/.*cannot be read.*Bundle\.entry\[1\].*LK-HC-101/,
    'names the lines and why',
  );
  t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');
  t.same(
    (await rig.mediator.store.listJobs()).filter((j) => !jobs.has(j.id)),
    [],
    'nothing queued',
  );
  const admin = await rig.lmis.login();
  t.match((await rig.lmis.call('GET', `/api/proofsOfDelivery/${podId}`, admin)).body, { status: 'INITIATED' });
}
