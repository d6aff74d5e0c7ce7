import t from 'tap';
import type { Facility } from '../../../../src/domain/facility.js';
import type { CrosswalkRow } from '../../../../src/registry/crosswalk-types.js';
import { plan, type PlanInput } from '../../../../src/registry/propagation/plan.js';
import { crosswalkRow } from '../../../support/crosswalk-row.js';

const facility = (over: Partial<Facility> = {}): Facility => ({
  id: 'R-1',
  identifiers: [{ system: 'urn:registry', value: 'C-1' }],
  name: 'Clinic',
  status: 'active',
  kind: 'facility',
  ...over,
});

const row = crosswalkRow;

const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  facility: facility(),
  system: 'dhis2',
  rows: [],
  routedHere: true,
  reconciled: true,
  ...over,
});

t.test('a linked record is updated, or deactivated when the registry closed it', async (t) => {
  t.same(plan(input({ rows: [row()] })), { action: 'update', state: 'queued', systemId: 'S-1' });
  t.same(
    plan(
      input({ rows: [row({ state: 'manual-match', decidedBy: 'dm' })], facility: facility({ status: 'inactive' }) }),
    ),
    {
      action: 'deactivate',
      state: 'queued',
      systemId: 'S-1',
    },
  );
});

t.test('what a person has yet to settle is held, with why', async (t) => {
  t.match(plan(input({ rows: [row({ state: 'flagged', comment: 'two sites?' })] })), {
    state: 'held',
    reason: /flagged for review: two sites\?/,
  });
  t.match(
    plan(
      input({
        rows: [
          row({ state: 'review', registryId: undefined, suggestions: [{ registryId: 'R-1', score: 3, reasons: [] }] }),
        ],
      }),
    ),
    {
      state: 'held',
      reason: /review queue/,
    },
  );
  t.match(
    plan(
      input({
        rows: [
          row({
            state: 'no-match',
            registryId: undefined,
            suggestions: [{ registryId: 'R-1', score: 1, reasons: [] }],
          }),
        ],
      }),
    ),
    {
      state: 'held',
      action: 'update',
    },
  );
  t.match(
    plan(
      input({
        rows: [
          row({
            state: 'no-match',
            registryId: undefined,
            decidedBy: 'dm',
            suggestions: [{ registryId: 'R-1', score: 1, reasons: [] }],
          }),
        ],
      }),
    ),
    { action: 'create', state: 'queued' },
    "a person's no-match says the record is another facility: this one is created",
  );
});

t.test(
  'an unlinked facility is created only where routed, reconciled, open and without a same-code twin',
  async (t) => {
    t.same(plan(input()), { action: 'create', state: 'queued' });
    t.match(plan(input({ routedHere: false })), { action: 'none', state: 'skipped', reason: /routing\.json/ });
    t.match(plan(input({ facility: facility({ status: 'inactive' }) })), {
      action: 'none',
      state: 'skipped',
      reason: /never had it/,
    });
    t.match(plan(input({ reconciled: false })), { state: 'held', reason: /never reconciled/ });
    t.match(plan(input({ sameCode: 'S-7' })), {
      state: 'held',
      reason:
        /record S-7 carries the same code but is not linked: a person must link the record that is this facility \(review API: accept\), or give S-7 another code in dhis2/,
    });
    t.match(plan(input({ codeUnchecked: 'answered 503' })), {
      action: 'create',
      state: 'held',
      reason: /dhis2's facility list could not be read .*\(answered 503\): planned again at the next run/,
    });
  },
);

t.test(
  'a same-code record a person said is another facility keeps the create held, the reason saying who and what to do',
  async (t) => {
    const decided = {
      systemId: 'S-7',
      registryId: undefined,
      decidedBy: 'amina',
      decidedAt: '2026-12-01T10:00:00.000Z',
    };
    const cases: [Partial<CrosswalkRow>, string][] = [
      [{ state: 'no-match', rejectedRegistryIds: ['R-1'] }, 'rejected'],
      [{ state: 'review', rejectedRegistryIds: ['R-1'] }, 'rejected'],
      [{ state: 'match-broken', rejectedRegistryIds: ['R-1'] }, 'match broken'],
      [{ state: 'no-match' }, 'no-match'],
      [{ state: 'ignored' }, 'ignored'],
    ];
    for (const [over, how] of cases)
      t.match(plan(input({ sameCode: 'S-7', sameCodeRow: row({ ...decided, ...over }) })), {
        action: 'create',
        state: 'held',
        reason: new RegExp(
          `^record S-7 carries the same code, and amina said on 2026-12-01T10:00:00.000Z it is not this facility \\(${how}\\): a record created with that code would be taken for S-7; link the record that is this facility \\(review API: accept\\), or give S-7 another code in dhis2: the next run then creates it$`,
        ),
      });
    // the matcher's no-match, or another facility rejected: nobody said it is not this one
    for (const over of [
      { state: 'no-match' as const, decidedBy: 'auto' },
      { state: 'no-match' as const, rejectedRegistryIds: ['R-9'], decidedBy: 'auto' },
    ])
      t.match(plan(input({ sameCode: 'S-7', sameCodeRow: row({ ...decided, ...over }) })), {
        reason: /^record S-7 carries the same code but is not linked/,
      });
  },
);

t.test('a system without facility writes is reported, not held; jurisdictions are not written', async (t) => {
  t.match(plan(input({ rows: [row()], readOnly: 'no API' })), {
    state: 'skipped',
    reason: 'not supported: no API',
    systemId: 'S-1',
  });
  t.match(plan(input({ readOnly: 'no API' })), { action: 'create', state: 'skipped', reason: /not supported/ });
  t.match(plan(input({ cannotCreate: 'created centrally' })), {
    action: 'create',
    state: 'skipped',
    reason: 'not supported: created centrally',
  });
  t.match(plan(input({ rows: [row()], cannotCreate: 'created centrally' })), { action: 'update', state: 'queued' });
  t.match(plan(input({ facility: facility({ kind: 'area' }) })), {
    action: 'none',
    state: 'skipped',
    reason: /jurisdiction/,
  });
});

t.test('a rejected or broken link is not a link', async (t) => {
  t.same(plan(input({ rows: [row({ state: 'match-broken', registryId: 'R-1' })] })), {
    action: 'create',
    state: 'queued',
  });
});

t.test('a create waits for its unpublished registry parent only where the system needs a parent', async (t) => {
  const needs = 'DHIS2 needs a parent org unit for a new org unit';
  const held = plan(input({ createNeedsParent: needs, unpublishedParent: 'jur-x' }));
  t.match(held, { action: 'create', state: 'held' });
  t.match(
    held.reason,
    /^waiting for registry parent jur-x, a jurisdiction the registry has not published yet \(DHIS2 needs/,
  );
  t.same(plan(input({ unpublishedParent: 'jur-x' })), { action: 'create', state: 'queued' }, 'no parent needed');
  t.same(plan(input({ createNeedsParent: needs })), { action: 'create', state: 'queued' }, 'parent published');
  t.same(
    plan(input({ rows: [row()], createNeedsParent: needs, unpublishedParent: 'jur-x' })),
    { action: 'update', state: 'queued', systemId: 'S-1' },
    'an update keeps the parent it has: not held',
  );
});
