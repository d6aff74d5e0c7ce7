/**
 * Which drafts a completion makes moot (routing/delivery-overtaken.ts): only one accepted before a
 * completion delivered to the same system. A draft accepted after the completion (an app saving a
 * draft of a delivery it completed), or in the same millisecond (not told apart), or a completion
 * still waiting, or one to another system, leaves the draft to its connector, which refuses what
 * would reopen a completed delivery. The end-to-end case is test/e2e/routing/delivery-draft-overtaken.test.ts.
 */
import t from 'tap';
import { draftOvertaken } from '../../../src/routing/delivery-overtaken.js';
import { DELIVERIES } from '../../../src/routing/flows.js';
import type { JobStatus, OutboxJob } from '../../../src/store/types.js';

const KEY = 'delivery|https://app.example.org/deliveries|DL-1';

function job(over: { status: JobStatus; createdAt: number; system?: string; deliveryStatus?: string }): OutboxJob {
  return {
    id: `job-${over.createdAt}-${over.status}`,
    flow: 'delivery',
    system: over.system ?? 'openlmis',
    idempotencyKey: KEY,
    payloadHash: 'h',
    payload: { status: over.deliveryStatus ?? 'completed', identifier: { value: 'DL-1' } },
    status: over.status,
    attempts: 1,
    nextAttemptAt: 0,
    createdAt: over.createdAt,
    updatedAt: over.createdAt,
    result: { system: over.system ?? 'openlmis', ids: { proofOfDelivery: 'pod-1' }, status: 'completed' },
  };
}

const draft = job({ status: 'in-flight', createdAt: 1000, deliveryStatus: 'in-progress' });
const under = (jobs: OutboxJob[]) => async (key: string) => (key === KEY ? jobs : []);

t.test('a completion accepted after the draft and delivered supersedes it', async (t) => {
  const result = await draftOvertaken(draft, [KEY], under([job({ status: 'done', createdAt: 1001 })]));
  t.same(result, { system: 'openlmis', ids: { proofOfDelivery: 'pod-1' }, status: 'superseded' });
});

t.test('otherwise the draft is left to its write', async (t) => {
  const cases: [string, OutboxJob[]][] = [
    ['no completion', []],
    ['the completion accepted before the draft', [job({ status: 'done', createdAt: 999 })]],
    ['accepted in the same millisecond', [job({ status: 'done', createdAt: 1000 })]],
    ['still waiting', [job({ status: 'pending', createdAt: 1001 })]],
    ['refused', [job({ status: 'rejected', createdAt: 1001 })]],
    ['delivered to another system', [job({ status: 'done', createdAt: 1001, system: 'dhis2' })]],
  ];
  for (const [label, jobs] of cases) t.equal(await draftOvertaken(draft, [KEY], under(jobs)), undefined, label);
  const completion = job({ status: 'in-flight', createdAt: 1000 });
  t.equal(
    await draftOvertaken(completion, [KEY], under([job({ status: 'done', createdAt: 1001 })])),
    undefined,
    'a completion is never a draft overtaken',
  );
});

t.test('refused 409 while the completion is still in flight: superseded; before any refusal: written', async (t) => {
  const racing = under([job({ status: 'in-flight', createdAt: 1001 })]);
  t.equal(await draftOvertaken(draft, [KEY], racing), undefined, 'before writing: the completion may yet fail');
  t.match(await draftOvertaken(draft, [KEY], racing, true), { status: 'superseded' }, 'after the 409: superseded');
  t.equal(
    await draftOvertaken(draft, [KEY], under([job({ status: 'in-flight', createdAt: 999 })]), true),
    undefined,
    'a completion accepted before the draft: the refusal stands',
  );
});

t.test('refused, a completion under another key of the record the refusal named supersedes it', async (t) => {
  const none = under([]);
  const other = { ...job({ status: 'done', createdAt: 1001 }), id: 'put-as-read', idempotencyKey: 'delivery|pod|P-1' };
  const writtenTo = (jobs: OutboxJob[]) => async () => jobs;
  t.match(await draftOvertaken(draft, [KEY], none, true, writtenTo([other])), {
    status: 'superseded',
    ids: { proofOfDelivery: 'pod-1' },
  });
  t.equal(
    await draftOvertaken(draft, [KEY], none, false, writtenTo([other])),
    undefined,
    'before any refusal: written',
  );
  const cases: [string, OutboxJob][] = [
    ['accepted before the draft', { ...other, createdAt: 999 }],
    ['another draft of that record', job({ status: 'done', createdAt: 1001, deliveryStatus: 'in-progress' })],
    ['the draft itself', draft],
    ['another flow', { ...other, flow: 'order' }],
    ['another system', { ...other, system: 'dhis2' }],
  ];
  for (const [label, c] of cases)
    t.equal(await draftOvertaken(draft, [KEY], none, true, writtenTo([c])), undefined, label);
});

t.test("a secondary target's draft is overtaken by that target's copy of the completion", async (t) => {
  // routed-flow acceptRequests: a secondary target's job is under the write's key and its system
  const APP = 'https://app.example.org/deliveries';
  const payload = (status: string) => ({ status, identifier: { system: APP, value: 'DL-1' } });
  const toDhis2 = (id: string, key: string, status: JobStatus, createdAt: number, deliveryStatus: string) => ({
    ...job({ status, createdAt, system: 'dhis2' }),
    id,
    idempotencyKey: key,
    payload: payload(deliveryStatus),
  });
  const secondaryDraft = toDhis2('draft-dhis2', `${KEY}|in-progress|dhis2`, 'pending', 1000, 'in-progress');
  const jobs: Record<string, OutboxJob[]> = {
    [KEY]: [{ ...job({ status: 'done', createdAt: 1001 }), payload: payload('completed') }],
    [`${KEY}|dhis2`]: [toDhis2('completion-dhis2', `${KEY}|dhis2`, 'done', 1001, 'completed')],
  };
  const byKey = async (key: string) => jobs[key] ?? [];
  t.match(
    await DELIVERIES.overtaken!(secondaryDraft, byKey),
    { system: 'dhis2', status: 'superseded' },
    'superseded: not sent after the completion, which it would reopen in DHIS2',
  );
  const primaryDraft = { ...draft, payload: payload('in-progress'), idempotencyKey: `${KEY}|in-progress` };
  t.match(
    await DELIVERIES.overtaken!(primaryDraft, byKey),
    { system: 'openlmis', status: 'superseded' },
    'as is the primary',
  );
});

t.test(
  "a routing change between the draft and its completion still finds the completion to the draft's system",
  async (t) => {
    // the facility's routing changed: DHIS2 a secondary target for the draft and the system of
    // record for the completion, or the other way round; the completion is under the other key
    const APP = 'https://app.example.org/deliveries';
    const payload = (status: string) => ({ status, identifier: { system: APP, value: 'DL-1' } });
    const toDhis2 = (id: string, key: string, createdAt: number, deliveryStatus: string, status: JobStatus) => ({
      ...job({ status, createdAt, system: 'dhis2' }),
      id,
      idempotencyKey: key,
      payload: payload(deliveryStatus),
    });
    const cases: [string, OutboxJob, OutboxJob][] = [
      [
        'a secondary draft, the completion to DHIS2 as the system of record',
        toDhis2('draft', `${KEY}|in-progress|dhis2`, 1000, 'in-progress', 'pending'),
        toDhis2('completion', KEY, 1001, 'completed', 'done'),
      ],
      [
        "DHIS2's own draft, the completion to DHIS2 as a secondary target",
        toDhis2('draft', `${KEY}|in-progress`, 1000, 'in-progress', 'pending'),
        toDhis2('completion', `${KEY}|dhis2`, 1001, 'completed', 'done'),
      ],
    ];
    for (const [label, draftJob, completion] of cases) {
      const byKey = async (key: string) => (key === completion.idempotencyKey ? [completion] : []);
      t.match(await DELIVERIES.overtaken!(draftJob, byKey), { system: 'dhis2', status: 'superseded' }, label);
      // a draft saved after the completion is no draft it overtook: left to DHIS2, which refuses it
      const later = { ...draftJob, createdAt: 1002 };
      t.equal(await DELIVERIES.overtaken!(later, byKey), undefined, `${label}: a later draft is refused upstream`);
      t.equal(
        await DELIVERIES.overtaken!(later, byKey, true),
        undefined,
        `${label}: refused as completed, the refusal stands`,
      );
    }
  },
);
