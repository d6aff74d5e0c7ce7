import t from 'tap';
import type { CrosswalkRow } from '../../../../src/registry/crosswalk-types.js';
import { crosswalkIndex, type CrosswalkIndex } from '../../../../src/registry/propagation/crosswalk-index.js';
import { crosswalkMoved } from '../../../../src/registry/propagation/crosswalk-moved.js';
import { crosswalkRow } from '../../../support/crosswalk-row.js';

/** An OpenLMIS record L-1 linked to registry facility R-1. */
const row = (over: Partial<CrosswalkRow> = {}): CrosswalkRow =>
  crosswalkRow({ system: 'openlmis', systemId: 'L-1', ...over });

/** The batch as planning read it: each system's crosswalk indexed. */
const batch = (rows: CrosswalkRow[]): Map<string, CrosswalkIndex> =>
  new Map(['openlmis', 'dhis2'].map((s) => [s, crosswalkIndex(rows.filter((r) => r.system === s))]));

const linked = row();
const rejected = row({
  registryId: undefined,
  state: 'no-match',
  decidedBy: 'amina',
  decidedAt: '2026-02-01T08:00:00Z',
});
const undone = row({ decidedBy: 'amina', decidedAt: '2026-02-01T08:05:00Z' });
const dhis2 = row({ system: 'dhis2', systemId: 'D-1' });

t.same(crosswalkMoved(batch([linked, dhis2]), 'R-1', [linked, dhis2]), [], 'links as read: nothing moved');
t.same(crosswalkMoved(batch([linked, dhis2]), 'R-1', [dhis2]), ['openlmis'], 'a reject since: the link is gone');
t.same(
  crosswalkMoved(batch([rejected, dhis2]), 'R-1', [undone, dhis2]),
  ['openlmis'],
  'an undo since: the link is back (the batch held it only as the unlinked row)',
);
t.same(
  crosswalkMoved(batch([linked, dhis2]), 'R-1', [row({ state: 'flagged', decidedBy: 'amina' }), dhis2]),
  ['openlmis'],
  'a decision on the same link since (its state and stamp)',
);
t.same(
  crosswalkMoved(batch([linked, row({ systemId: 'L-2', registryId: 'R-2' })]), 'R-1', [linked]),
  [],
  "another facility's links are not this one's",
);
t.same(
  crosswalkMoved(batch([linked]), 'R-1', [linked, row({ system: 'csv-import', systemId: 'X-1' })]),
  [],
  'a system the batch does not plan for is not named',
);
t.same(
  crosswalkMoved(
    batch([row({ registryId: 'R-2', suggestions: [{ registryId: 'R-1', score: 0.9, reasons: [] }] })]),
    'R-1',
    [],
  ),
  [],
  'a row naming the facility only as a suggestion is no link of it',
);
