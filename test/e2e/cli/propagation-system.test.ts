/**
 * `propagation --system NAME` with a name no system has (a typo: `dhsi2`) says so and exits 1, as
 * GET /admin/propagation?system= answers 404: before, it printed "no registry change propagated
 * yet", exit 0, and an operator checking what is held for DHIS2 read that nothing was.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { storeMadeIn } from '../../support/existing-store.js';

const run = promisify(execFile);
const cliPath = path.resolve(import.meta.dirname, '../../../src/cli/index.ts');
const tsx = path.resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');

async function cli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, [cliPath, 'propagation', ...args], {
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

t.test('an unknown --system is refused naming the systems', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-propagation-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await storeMadeIn(dir);
  const typo = await cli(dir, '--system', 'dhsi2');
  t.equal(typo.code, 1, 'exit 1');
  t.match(typo.stderr, /no system 'dhsi2' to propagate to: systems: .*dhis2.*; no change is stored for that name/);
  t.equal(typo.stdout, '', 'nothing listed');
  const known = await cli(dir, '--system', 'dhis2');
  t.equal(known.code, 0, 'a system the mediator has, with nothing yet: exit 0');
  t.match(known.stdout, /no registry change propagated yet/);
});
