/**
 * `reconcile --left-as-of <date>` (as bench:reconcile has it): the left list is a dated copy of
 * the registry, so a registry record registered after that date is never an automatic match
 * (MatchOptions.leftAsOf, src/registry/match/registered-after.ts). Run through the command's
 * own option parsing, on CSV files, as an operator runs it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { reconcileCommand } from '../../../src/cli/reconcile.js';
import type { CrosswalkRow } from '../../../src/registry/crosswalk-types.js';

const filler = Array.from({ length: 40 }, (_, i) => `x${i},Zeta${i} Medical Clinic,Other,W,2001-01-01`);
const registry = [
  'id,name,county,sub_county,registered',
  'r-old,Kaumu Dispensary,Kitui,Mutha,2009-10-31',
  'r-late,Orongo Dispensary,Kisumu,Kadibo,2015-06-30T09:46:45Z',
  ...filler,
].join('\n');
const system = [
  'id,name,county,sub_county',
  'l0,Kaumu Dispensary,Kitui,Mutha',
  'l1,Orongo Dispensary,Kisumu,Kadibo',
].join('\n');

/** Runs `reconcile …args` in-process; stdout's JSON summary, or the refusal commander reports. */
async function reconcile(args: string[]): Promise<{ summary?: Record<string, unknown>; error?: string }> {
  let out = '';
  let error = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
  try {
    const command = reconcileCommand()
      .exitOverride()
      .configureOutput({ writeErr: (s) => (error += s), writeOut: (s) => (out += s) });
    await command.parseAsync(args, { from: 'user' });
  } catch (err) {
    return { error: error || (err as Error).message };
  } finally {
    process.stdout.write = write;
  }
  return { summary: JSON.parse(out) as Record<string, unknown> };
}

t.test('reconcile --left-as-of keeps later registrations out of the automatic zone', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reconcile-as-of-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'registry.csv'), registry);
  writeFileSync(path.join(dir, 'dhis2.csv'), system);
  const files = ['--left', path.join(dir, 'dhis2.csv'), '--right', path.join(dir, 'registry.csv')];
  const rows = (out: string) =>
    new Map(
      (JSON.parse(readFileSync(path.join(out, 'crosswalk.json'), 'utf8')) as CrosswalkRow[]).map((r) => [
        r.systemId,
        r,
      ]),
    );

  const live = await reconcile([...files, '--out', path.join(dir, 'live')]);
  t.notOk(live.error, 'a live list runs');
  t.equal(live.summary?.leftAsOf, undefined, 'the summary names no list date');
  t.match(
    [...rows(path.join(dir, 'live')).values()].map((r) => [r.systemId, r.zone]),
    [
      ['l0', 'auto'],
      ['l1', 'auto'],
    ],
    'without a list date both exact names are automatic',
  );

  const dated = await reconcile([...files, '--out', path.join(dir, 'dated'), '--left-as-of', '2014-05-12']);
  t.notOk(dated.error, 'a dated copy runs');
  t.equal(dated.summary?.leftAsOf, '2014-05-12', 'the summary names the list date');
  const byId = rows(path.join(dir, 'dated'));
  t.equal(byId.get('l0')?.zone, 'auto', 'registered before the list: still automatic');
  t.not(byId.get('l1')?.zone, 'auto', 'registered after the list: not automatic');
  t.equal(byId.get('l1')?.state, 'review', 'it waits for a person');
  t.match(byId.get('l1')?.suggestions, [{ registryId: 'r-late' }], 'with the pick offered');
  t.match(
    byId.get('l1')?.reasons.find((r) => r.field === 'registered')?.detail,
    /registered 2015-06-30, after the list was taken \(2014-05-12\).*never automatic/,
    'and the reason a person reads',
  );
});

t.test('a bad date, or a date with --store, is refused before anything is read', async (t) => {
  const missing = ['--left', '/nonexistent/a.csv', '--right', '/nonexistent/b.csv', '--out', '/nonexistent/out'];
  for (const value of ['12/05/2014', '2014-02-30', '2014-05-12T09:00', 'yesterday']) {
    const bad = await reconcile([...missing, '--left-as-of', value]);
    t.match(
      bad.error,
      `option '--left-as-of <date>' argument '${value}' is invalid. ${value} is not an ISO date (2014-05-12) or instant with a zone`,
      `${value}: the option, the value and the form wanted`,
    );
  }
  t.notOk(
    (await reconcile([...missing, '--left-as-of', '2014-05-12T09:00:00+03:00'])).error?.includes('--left-as-of'),
    'an instant with its zone is taken',
  );
  const stored = await reconcile([...missing, '--left-as-of', '2014-05-12', '--store']);
  t.match(
    stored.error,
    /--left-as-of is for a dated copy compared from files; --store reconciles a live list/,
    'a dated copy is not a live list',
  );
});
