/**
 * The pure rules behind adopting a draft (issue 9 item 2): who initiated a requisition, which of
 * our drafts a write may take (the newest note that did not list it, not older than that note),
 * and the 413 that must be a permanent refusal.
 */
import t from 'tap';
import { decodeLmisError } from '../../../../src/systems/openlmis/errors.js';
import type { RequisitionDto } from '../../../../src/systems/openlmis/requisition/requisition-dto.js';
import {
  CLOCK_SKEW_MS,
  initiatorOf,
  isUnmarkedDraft,
  ourUnmarkedDrafts,
  ownerOf,
} from '../../../../src/systems/openlmis/requisition/requisition-ownership.js';
import type { InitiateNote } from '../../../../src/systems/openlmis/requisition/write-ledger.js';

const draft = (id: string, extra: Partial<RequisitionDto> = {}): RequisitionDto => ({
  id,
  status: 'INITIATED',
  createdDate: '2026-12-02T08:00:30Z',
  extraData: {},
  statusChanges: { INITIATED: { authorId: 'me', changeDate: '2026-12-02T08:00:30Z' } },
  ...extra,
});

t.test('initiatorOf reads statusChanges, else statusHistory', async (t) => {
  t.equal(initiatorOf(draft('a')), 'me');
  t.equal(
    initiatorOf(
      draft('b', {
        statusChanges: undefined,
        statusHistory: [
          { status: 'SUBMITTED', authorId: 'x' },
          { status: 'INITIATED', authorId: 'clerk' },
        ],
      }),
    ),
    'clerk',
  );
  t.equal(initiatorOf(draft('c', { statusChanges: null })), undefined, 'no author known');
});

t.test(
  'our unmarked drafts: INITIATED, no order number, authored by us; none when we do not know who we are',
  async (t) => {
    const found = [
      draft('mine'),
      draft('clerks', { statusChanges: { INITIATED: { authorId: 'clerk' } } }),
      draft('numbered', { extraData: { fhirOrderNumber: { system: 's', value: 'v' } } }),
      draft('submitted', { status: 'SUBMITTED' }),
    ];
    t.same(
      ourUnmarkedDrafts(found, 'me').map((r) => r.id),
      ['mine'],
    );
    t.same(ourUnmarkedDrafts(found, undefined), []);
    t.notOk(isUnmarkedDraft(found[2]));
  },
);

t.test('ownerOf: the newest note that did not list the draft, if the draft is not older than it', async (t) => {
  const notes: InitiateNote[] = [
    // newest first
    { owner: 'K', at: '2026-12-02T08:02:00Z', before: ['d1'] },
    { owner: 'J', at: '2026-12-02T08:00:00Z', before: [] },
  ];
  t.equal(ownerOf(draft('d1'), notes), 'J', "made after J noted, listed by K: J's");
  t.equal(ownerOf(draft('d2', { createdDate: '2026-12-02T08:02:10Z' }), notes), 'K', "made after K noted: K's");
  t.equal(
    ownerOf(
      draft('old', { createdDate: new Date(Date.parse('2026-12-02T08:02:00Z') - CLOCK_SKEW_MS - 1000).toISOString() }),
      notes,
    ),
    undefined,
    "older than the note that would own it: nobody's",
  );
  t.equal(ownerOf(draft('d3'), []), undefined, "no notes: nobody's");
  t.equal(ownerOf(draft('d4', { createdDate: null }), notes), undefined, "no creation date: nobody's");
});

t.test('413 from OpenLMIS is a permanent refusal (422), not a transient 502', async (t) => {
  const err = decodeLmisError(413, '<html>413 Request Entity Too Large</html>', 'PUT', '/api/requisitions/x');
  t.equal(err.transient, false);
  t.equal(err.status, 422);
  t.equal(err.issues[0].code, 'too-costly');
});
