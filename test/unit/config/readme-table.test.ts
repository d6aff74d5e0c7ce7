/** The README's configuration table lists every setting with its environment variable and default. */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { MAX_TIMER_MS, settingDefs, type SettingDef } from '../../../src/config/settings.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const rows = new Map(
  readme
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => [l.split('|')[1].trim().replace(/`/g, ''), l]),
);

for (const def of settingDefs) {
  t.test(def.key, async (t) => {
    const row = rows.get(def.key);
    t.ok(row, `README has a row for ${def.key}`);
    if (!row) return;
    const cells = row.split('|').map((c) => c.trim());
    t.equal(cells[2], `\`${def.env}\``, 'environment variable');
    t.equal(cells[4].split(' ')[0], def.type, 'type');
    if (def.type === 'number') t.equal(cells[4], numberType(def), 'bounds');
    t.equal(cells[5], def.default === undefined ? '' : `\`${def.default}\``, 'default');
  });
}

/** A number's type cell: whole or not, and its least (and largest) value; the timer maximum is said once above the table. */
function numberType(def: SettingDef): string {
  const parts: string[] = [];
  if (def.integer) parts.push('whole');
  if (def.min !== undefined && def.max !== undefined && def.max !== MAX_TIMER_MS) parts.push(`${def.min}–${def.max}`);
  else if (def.min !== undefined) parts.push(`≥ ${def.min}`);
  return parts.length ? `number (${parts.join(', ')})` : 'number';
}
