/**
 * On R4 a delivery is one SupplyDelivery per line, and a transaction's lines of one delivery (one
 * delivery number) are written as one delivery. Lines that disagreed on the delivery's own fields
 * (status, date received, receiver, destination) were merged with the last line winning, silently: a
 * transaction whose first line said "in progress" confirmed the whole proof of delivery. The lines
 * of one order already refuse such a disagreement (422); now the lines of one delivery do too,
 * each disagreeing entry named at its element, and nothing is recorded or sent. Lines that agree
 * (or leave a field unsaid) still confirm the delivery. Through the real mediator, the OpenLMIS
 * connector and its sandbox, on both store engines.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { shippedDelivery, startRigOn, why, writesSince } from '../../support/openlmis-e2e.js';

type Resource = Record<string, any>;

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
      const facilityId = rig.lmis.seed.facilities['LK-HC-105'];
      const elsewhere = rig.lmis.seed.facilities['LK-HC-101'];
      const listed = await rig.fhir('GET', `/fhir/SupplyDelivery?destination=Location/${facilityId}`);
      t.equal(listed.status, 200, why(listed));
      const read: Resource[] = (listed.body.entry ?? [])
        .map((e: Resource) => e.resource)
        .filter((r: Resource) => r.identifier?.some((i: Resource) => i.value === podId));
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
    },
  );
