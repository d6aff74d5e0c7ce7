/**
 * The generated validators (generated/*.cjs) are written on first use when `npm run build:schemas`
 * was not run (src/fhir/validation/schema.ts), by whichever test process gets there first, while
 * the others started beside it check the files exist and require them. A file read half-written
 * fails them (a SyntaxError, or an empty module): the likely cause of one failure of
 * feed.test.ts in a fresh scratch copy, gone on every later run. Writes here go to an in-memory
 * disk (node:fs mocked; reads are real), so the repo's own generated/ is never touched while
 * other test processes read it.
 */
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';

type Script = typeof import('../../../scripts/build-fhir-schemas.js');

/** An in-memory disk for writes: each write lands in two halves, the disk looked at in between. */
function halfwayDisk(failAt?: number) {
  const files = new Map<string, { text: string; whole: boolean }>();
  let writes = 0;
  const seenHalf = new Set<string>();
  const fake = {
    ...fs,
    mkdirSync: () => undefined,
    writeFileSync: (file: string, text: string) => {
      files.set(file, { text: text.slice(0, text.length >> 1), whole: false });
      // another process looking now: what it would find at each name
      for (const [name, f] of files) if (!f.whole) seenHalf.add(path.basename(name));
      if (++writes === failAt) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      files.set(file, { text, whole: true });
    },
    renameSync: (from: string, to: string) => {
      const f = files.get(from);
      if (!f) throw Object.assign(new Error(`ENOENT: ${from}`), { code: 'ENOENT' });
      files.delete(from);
      files.set(to, f);
    },
    rmSync: (file: string) => void files.delete(file),
  };
  return { fake, files, seenHalf };
}

async function scriptOn(t: Test, fake: Record<string, unknown>): Promise<Script> {
  return t.mockImport<Script>('../../../scripts/build-fhir-schemas.js', { 'node:fs': fake });
}

const targets = (s: Script) => [
  s.generatedValidatorsPath,
  s.generatedFirstErrorValidatorsPath,
  s.generatedMappingValidatorsPath,
];

t.test('no generated validators file is ever seen half-written under its own name', async (t) => {
  const disk = halfwayDisk();
  const script = await scriptOn(t, disk.fake);
  script.writeValidators();
  const names = targets(script).map((p) => path.basename(p));
  t.same(
    [...disk.seenHalf].filter((n) => names.includes(n)),
    [],
    'a process checking the files exist and requiring them finds each whole or not at all',
  );
  t.same([...disk.files.keys()].sort(), targets(script).sort(), 'the three files, and nothing else left beside them');
  for (const p of targets(script)) t.ok(disk.files.get(p)?.whole, `${path.basename(p)} whole`);
});

t.test('a write that fails leaves no half file to be required by the next run', async (t) => {
  const disk = halfwayDisk(2);
  const script = await scriptOn(t, disk.fake);
  t.throws(() => script.writeValidators(), { code: 'ENOSPC' });
  t.same(
    [...disk.files.keys()],
    [script.generatedValidatorsPath],
    'the file written before stays, the failed one is not there under any name (the next run writes it)',
  );
});
