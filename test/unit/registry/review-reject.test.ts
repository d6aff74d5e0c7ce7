/**
 * A reject takes back exactly what it names: the linked registry facility of an automatic match
 * (the record is unlinked, the pair never proposed again), or another candidate of a linked record
 * (the link stands). Before, rejecting another candidate moved the linked record to review and
 * so released its link, which nobody had questioned.
 */
import t from 'tap';
import { applyReview } from '../../../src/registry/review.js';
import type { CrosswalkRow } from '../../../src/registry/crosswalk-types.js';

const linked: CrosswalkRow = {
  system: 'lmis',
  systemId: 'L1',
  registryId: 'R1',
  state: 'auto-match',
  zone: 'auto',
  score: 9,
  reasons: [],
  suggestions: [
    { registryId: 'R1', score: 9, reasons: [] },
    { registryId: 'R2', score: 2, reasons: [] },
  ],
  decidedBy: 'auto',
  decidedAt: '2027-01-01T00:00:00.000Z',
};
const amina = { user: 'amina', at: '2027-01-02T00:00:00.000Z' };

t.test('rejecting the linked facility unlinks the record', async (t) => {
  for (const op of [{ op: 'reject' as const }, { op: 'reject' as const, registryId: 'R1' }]) {
    const row = applyReview(linked, op, amina);
    t.match(row, { state: 'review', decidedBy: 'amina', rejectedRegistryIds: ['R1'] });
    t.equal(row.registryId, undefined, 'no link left');
    t.same(
      row.suggestions.map((s) => s.registryId),
      ['R2'],
      'the other candidate waits',
    );
  }
  const only = applyReview({ ...linked, suggestions: [] }, { op: 'reject' }, amina);
  t.match(only, { state: 'no-match', rejectedRegistryIds: ['R1'] });
  t.equal(only.registryId, undefined);
});

t.test('rejecting another candidate keeps the link', async (t) => {
  const row = applyReview(linked, { op: 'reject', registryId: 'R2' }, amina);
  t.match(row, { state: 'auto-match', registryId: 'R1', decidedBy: 'amina', rejectedRegistryIds: ['R2'] });
  t.same(
    row.suggestions.map((s) => s.registryId),
    ['R1'],
  );
  const flagged = applyReview(
    { ...linked, state: 'flagged', comment: 'check' },
    { op: 'reject', registryId: 'R2' },
    amina,
  );
  t.match(flagged, { state: 'flagged', registryId: 'R1' }, 'a flagged record keeps its pick too');
});
