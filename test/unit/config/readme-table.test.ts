/** The README's configuration table lists every setting with its environment variable and default. */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { settingDefs } from '../../../src/config/settings.js';

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
    t.equal(cells[5], def.default === undefined ? '' : `\`${def.default}\``, 'default');
  });
}
