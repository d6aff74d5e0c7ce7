/**
 * REGISTRY_FILE naming a file that is not there (a typo, an export not mounted) was taken without
 * a word: only the reconcile job reads it, by default on Mondays at 02:30, so the first sign was
 * that run failing days later. `serve` now warns at start naming the setting, the file and why;
 * it still starts (the file may be put in place later). registryFileProblem itself: a readable
 * file and a registry server are no problem, a directory is. A separate process, as an operator
 * runs it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { defaultSettings } from '../../../src/config/load.js';
import { registryFileProblem } from '../../../src/registry/registry-file-check.js';
import { serveEnv, servingCli, tempDir } from '../../support/minimal-env-cli.js';
import { until } from '../../support/net.js';

const AFTER = 'the reconcile job and the review console cannot read the registry list until it can';

t.test('serve with REGISTRY_FILE not there: a warning at start naming it, and it serves', async (t) => {
  const dir = tempDir(t, 'registry-file-missing');
  const missing = path.join(dir, 'registry-export.csv');
  const env = await serveEnv({ DATA_DIR: dir, REGISTRY_FILE: missing });
  const { output } = servingCli(t, env);
  await until(
    'the warning',
    async () => (output().includes('registry.file (REGISTRY_FILE)') ? true : undefined),
    30_000,
  );
  const warnings = output()
    .split('\n')
    .filter((l) => l.includes('registry.file (REGISTRY_FILE)'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; setting: string });
  t.same(
    warnings.map((w) => [w.level, w.setting, w.msg]),
    [[40, 'registry.file', `registry.file (REGISTRY_FILE) ${missing} cannot be read (ENOENT): ${AFTER}`]],
  );
  t.ok((await fetch(`http://127.0.0.1:${env.PORT}/health`)).ok, 'and the mediator serves');
});

t.test('registryFileProblem: a readable file or a registry server is none, a directory is one', async (t) => {
  const dir = tempDir(t, 'registry-file-check');
  const file = path.join(dir, 'registry.csv');
  writeFileSync(file, 'id,name\nF1,Mberewa Health Centre\n');
  const folder = path.join(dir, 'exports');
  mkdirSync(folder);
  const settings = (more: Record<string, string>) => ({ ...defaultSettings(), ...more });
  t.equal(registryFileProblem(settings({})), undefined, 'no registry configured');
  t.equal(registryFileProblem(settings({ 'registry.file': file })), undefined, 'a readable file');
  t.equal(
    registryFileProblem(
      settings({ 'registry.file': path.join(dir, 'none.csv'), 'registry.url': 'https://mfr.example.org/fhir' }),
    ),
    undefined,
    'the registry server is read instead of the file',
  );
  t.equal(
    registryFileProblem(settings({ 'registry.file': folder })),
    `registry.file (REGISTRY_FILE) ${folder} is a directory, not a facility list: ${AFTER}`,
  );
});
