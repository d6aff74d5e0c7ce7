/**
 * A list's status cell is read against facility-columns.json's words for closed and suspended.
 * Written as a registry or a system writes it ("Non-Operational": KMHFL's own spelling beside
 * "Not-Operational"; "non_operational" from an export's enum), a closed facility read as active:
 * nothing kept a run from linking a live record to it (match/closed-in-registry.ts), an accept
 * needed no "linkClosed" (closed-link.ts), and propagation never deactivated the records linked
 * to it. Hyphens, underscores and runs of spaces now read as one space, on both sides.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadFacilityList } from '../../../src/registry/facility-list.js';

const SPELLINGS: [string, string][] = [
  ['Non-Operational', 'inactive'],
  ['non_operational', 'inactive'],
  ['NOT  OPERATIONAL', 'inactive'],
  ['Not-Operational', 'inactive'],
  ['Closed', 'inactive'],
  ['Temporarily-Closed', 'suspended'],
  ['pending_opening', 'suspended'],
  ['Operational', 'active'],
  ['', 'active'],
];

t.test('status words read whatever their separators', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ra-status-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'registry.csv');
  const lines = SPELLINGS.map(([status], i) => `F${i},Facility ${i},${status}`);
  fs.writeFileSync(file, ['code,name,status', ...lines].join('\n') + '\n');
  const { records } = loadFacilityList(file, { mapping: { id: 'code', name: 'name', status: 'status' } });
  t.same(
    records.map((r) => [r.facility.id, r.facility.status]),
    SPELLINGS.map(([, status], i) => [`F${i}`, status]),
  );
});
