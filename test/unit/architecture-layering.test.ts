/**
 * The hub's layering (DESIGN §3): the FHIR edge and the connectors meet only in the ports
 * (routing/ports.ts) and the domain; neither imports the other, connectors do not know OpenHIM
 * (they record calls through platform/call-recording.ts), and the domain depends on nothing of
 * ours outside it. Read from the source: every static and dynamic import of every file in src/.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';

const SRC = path.resolve(import.meta.dirname, '../../src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : /\.ts$/.test(name) ? [full] : [];
  });
}

/** Project files a source file imports, as paths relative to src/ (packages and node: builtins left out). */
export function projectImports(file: string, text = readFileSync(file, 'utf8')): string[] {
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"]+)\1/g)].map((m) => m[2]);
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => path.relative(SRC, path.resolve(path.dirname(file), s)));
}

const layerOf = (rel: string) => rel.split(path.sep)[0];

/** [importing layer, forbidden target test, why] */
const RULES: [string, (target: string) => boolean, string][] = [
  ['fhir', (to) => layerOf(to) === 'systems', 'the FHIR edge talks to connectors only through routing/ports'],
  ['systems', (to) => ['fhir', 'openhim'].includes(layerOf(to)), 'a connector never sees FHIR or OpenHIM'],
  ['domain', (to) => layerOf(to) !== 'domain', 'the domain depends on nothing outside it'],
  [
    'upstream',
    (to) => ['systems', 'fhir', 'openhim'].includes(layerOf(to)),
    'the shared transport knows no system, no FHIR and no OpenHIM',
  ],
];

export function violations(files: string[]): string[] {
  return files.flatMap((file) => {
    const from = path.relative(SRC, file);
    return projectImports(file).flatMap((to) =>
      RULES.filter(([layer, forbidden]) => layerOf(from) === layer && forbidden(to)).map(
        ([, , why]) => `${from} imports ${to}: ${why}`,
      ),
    );
  });
}

t.test('no layer imports what DESIGN §3 forbids', async (t) => {
  const files = filesUnder(SRC);
  t.ok(files.length > 100, `read ${files.length} source files`);
  t.same(violations(files), []);
});

t.test('the check sees each kind of forbidden import (it can fail)', async (t) => {
  const check = (rel: string, text: string) =>
    RULES.some(
      ([layer, forbidden]) => layerOf(rel) === layer && projectImports(path.join(SRC, rel), text).some(forbidden),
    );
  t.ok(check('fhir/x.ts', "import type { A } from '../systems/openlmis/api.js';"), 'fhir → systems');
  t.ok(check('systems/openlmis/x.ts', "import { NS } from '../../fhir/conventions.js';"), 'connector → fhir');
  t.ok(
    check('systems/openlmis/x.ts', "const m = await import('../../openhim/envelope.js');"),
    'connector → openhim (dynamic)',
  );
  t.ok(check('domain/x.ts', "import { y } from '../platform/deadline.js';"), 'domain → outside');
  t.ok(check('upstream/x.ts', "import { LMIS } from '../systems/openlmis/errors.js';"), 'upstream → systems');
  t.ok(check('upstream/auth/x.ts', "import { e } from '../../openhim/envelope.js';"), 'upstream → openhim');
  t.ok(check('upstream/x.ts', "import type { R } from '../fhir/outcome.js';"), 'upstream → fhir');
  t.notOk(
    check('upstream/x.ts', "import { recordUpstreamCall } from '../platform/call-recording.js';"),
    'upstream → platform is fine',
  );
  t.notOk(
    check(
      'systems/openlmis/x.ts',
      "import { NS } from '../../domain/namespace.js';\nimport { request } from 'undici';",
    ),
    'domain and packages are fine',
  );
  t.notOk(check('fhir/x.ts', "import type { SearchCriteria } from '../routing/ports.js';"), 'the ports are fine');
});
