/**
 * `cli reconcile` reads the matcher's tables (header synonyms, vocabulary, weights) from
 * MAPPINGS_DIR / --mappings-dir, through the one loader: another weights table changes the
 * result, a bad one stops the command with the file, the path and the reason.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const shipped = path.join(root, 'fhir-mappings');

const dir = mkdtempSync(path.join(tmpdir(), 'mappings-reconcile-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  path.join(dir, 'emr.csv'),
  'id,name,county,sub_county\nL1,Abdisamad Disp.,Wajir,Wajir North\nL2,Kiambu Distrct Hospital,Kiambu,Kiambu\n',
);
writeFileSync(
  path.join(dir, 'registry.csv'),
  'id,name,county,sub_county\nR1,Abdisamad Dispensary,Wajir,Wajir East\nR2,Kiambu District Hospital,Kiambu,Kiambu Town\nR4,Kasikeu Dispensary,Makueni,Kilome\n',
);

function weightsDir(edit: (w: any) => void): string {
  const d = mkdtempSync(path.join(tmpdir(), 'mappings-weights-'));
  cpSync(shipped, d, { recursive: true });
  const file = path.join(d, 'facility-match-weights.json');
  const w = JSON.parse(readFileSync(file, 'utf8'));
  edit(w);
  writeFileSync(file, JSON.stringify(w));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function reconcile(
  env: Record<string, string>,
  extra: string[] = [],
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = [
    path.join(root, 'src/cli/index.ts'),
    'reconcile',
    '--left',
    path.join(dir, 'emr.csv'),
    '--right',
    path.join(dir, 'registry.csv'),
    '--out',
    path.join(dir, 'out'),
    ...extra,
  ];
  try {
    const { stdout, stderr } = await run(path.join(root, 'node_modules/.bin/tsx'), args, {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

t.test('the weights in MAPPINGS_DIR decide the zones', async (t) => {
  const shippedRun = await reconcile({});
  t.equal(shippedRun.code, 0, shippedRun.stderr);
  const shippedSummary = JSON.parse(shippedRun.stdout);
  t.same(
    shippedSummary.zones,
    { auto: 1, review: 1, 'no-match': 0 },
    'the shipped table sends the misspelt hospital to review',
  );

  const lenient = weightsDir((w) => {
    w.thresholds.auto = -2;
    w.thresholds.margin = 0;
    w.thresholds.review = -3;
  });
  const lenientRun = await reconcile({ MAPPINGS_DIR: lenient });
  t.equal(lenientRun.code, 0, lenientRun.stderr);
  const summary = JSON.parse(lenientRun.stdout);
  t.equal(summary.thresholds.auto, -2, 'the table from MAPPINGS_DIR');
  t.same(summary.zones, { auto: 2, review: 0, 'no-match': 0 }, 'with its lower auto threshold, both are matched');
});

t.test('a bad table in MAPPINGS_DIR stops reconcile with the file, the path and the reason', async (t) => {
  const bad = weightsDir((w) => {
    w.thresholds.auto = 'six';
  });
  const res = await reconcile({ MAPPINGS_DIR: bad });
  t.equal(res.code, 1);
  t.equal(
    res.stderr.trim(),
    `configuration error: ${path.join(bad, 'facility-match-weights.json')}: /thresholds/auto must be number`,
  );
});

t.test(
  "CONFIG_FILE's mappings.dir decides the zones, as for the scheduled job; MAPPINGS_DIR wins over it",
  async (t) => {
    const lenient = weightsDir((w) => {
      w.thresholds.auto = -2;
      w.thresholds.margin = 0;
      w.thresholds.review = -3;
    });
    const configFile = path.join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ mappings: { dir: lenient } }));
    const fromFile = await reconcile({ CONFIG_FILE: configFile });
    t.equal(fromFile.code, 0, fromFile.stderr);
    const summary = JSON.parse(fromFile.stdout);
    t.equal(summary.thresholds.auto, -2, "the table from the file's mappings.dir");
    t.same(summary.zones, { auto: 2, review: 0, 'no-match': 0 });

    const overridden = await reconcile({ CONFIG_FILE: configFile, MAPPINGS_DIR: shipped });
    t.equal(overridden.code, 0, overridden.stderr);
    t.same(JSON.parse(overridden.stdout).zones, { auto: 1, review: 1, 'no-match': 0 }, 'MAPPINGS_DIR over the file');
  },
);

t.test('a relative --mappings-dir or MAPPINGS_DIR is from the working directory, as a shell path', async (t) => {
  // it was taken from the install directory: run from a site directory, ./maps named nothing there
  const lenient = weightsDir((w) => {
    w.thresholds.auto = -2;
    w.thresholds.margin = 0;
    w.thresholds.review = -3;
  });
  const site = path.dirname(lenient);
  const relative = path.basename(lenient);
  const fromOption = await reconcile({}, ['--mappings-dir', relative], site);
  t.equal(fromOption.code, 0, fromOption.stderr);
  t.equal(JSON.parse(fromOption.stdout).thresholds.auto, -2, 'the table from ./<dir> in the working directory');

  const fromEnv = await reconcile({ MAPPINGS_DIR: `./${relative}` }, [], site);
  t.equal(fromEnv.code, 0, fromEnv.stderr);
  t.equal(JSON.parse(fromEnv.stdout).thresholds.auto, -2, 'MAPPINGS_DIR alike');

  const configFile = path.join(dir, 'relative-config.json');
  writeFileSync(configFile, JSON.stringify({ mappings: { dir: relative } }));
  const fromFile = await reconcile({ CONFIG_FILE: configFile }, [], site);
  t.equal(fromFile.code, 0, fromFile.stderr);
  t.equal(JSON.parse(fromFile.stdout).thresholds.auto, -2, "CONFIG_FILE's mappings.dir alike, as its other paths");
});
