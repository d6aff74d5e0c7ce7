import type { CrosswalkRow } from '../../src/registry/crosswalk-types.js';

/** A crosswalk row as the matcher leaves an automatic link (system record S-1 → registry R-1), with `over` on top. */
export const crosswalkRow = (over: Partial<CrosswalkRow> = {}): CrosswalkRow => ({
  system: 'dhis2',
  systemId: 'S-1',
  registryId: 'R-1',
  state: 'auto-match',
  zone: 'auto',
  reasons: [],
  suggestions: [],
  decidedBy: 'auto',
  decidedAt: '2026-01-01T00:00:00Z',
  ...over,
});
