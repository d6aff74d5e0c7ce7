/**
 * A setting a connector refuses when it is built at start-up (DHIS2's `dataSet` that is no UID, an
 * OpenMRS user name holding ':') stops `serve` as a bad value of the settings table does: one line,
 * `configuration error: …`, naming the setting, exit 1. It used to print the Error's stack trace
 * through the connector set (`at uidSetting (…/dhis2/settings.ts…)`), which says nothing an
 * operator can act on. A value not shaped like its setting (a password pasted there) is still
 * given by its length only. A separate process, as an operator runs it.
 */
import t from 'tap';
import type { Test } from 'tap';
import { cliToEnd, serveEnv, tempDir } from '../../support/minimal-env-cli.js';
import { freePort } from '../../support/net.js';

/** `serve` with these settings on top of a minimal environment: its exit code and stderr. */
async function serveWith(t: Test, settings: Record<string, string>) {
  return cliToEnd(['serve'], await serveEnv({ DATA_DIR: tempDir(t, 'connector-refusal'), ...settings }));
}

t.test('DHIS2 dataSet that is no UID: one configuration line, the value by its length only', async (t) => {
  const pasted = 'Pa55word-9!xq';
  const outcome = await serveWith(t, {
    DHIS2_BASE_URL: `http://127.0.0.1:${await freePort()}`,
    DHIS2_API_TOKEN: 'd2pat_refusalTestToken0123456789',
    DHIS2_DATA_SET: pasted,
  });
  t.equal(outcome.code, 1, 'exit 1');
  t.equal(
    outcome.stderr.trim(),
    `configuration error: dhis2.dataSet must be a data set UID, got a value of ${pasted.length} characters (not shown: it may be a secret in the wrong setting)`,
    'one line naming the setting, no stack trace',
  );
  t.notMatch(outcome.stderr, pasted, 'the pasted value is not echoed');
});

t.test("OpenMRS user name with ':': one configuration line naming the setting", async (t) => {
  const outcome = await serveWith(t, {
    OPENMRS_BASE_URL: `http://127.0.0.1:${await freePort()}/openmrs`,
    OPENMRS_USERNAME: 'stock:admin',
    OPENMRS_PASSWORD: 'Openmrs7Secret3Pw',
  });
  t.equal(outcome.code, 1, 'exit 1');
  const lines = outcome.stderr.trim().split('\n');
  t.equal(lines.length, 1, `one line: ${outcome.stderr}`);
  t.match(lines[0], /^configuration error: openmrs\.username contains ':'/);
  t.notMatch(outcome.stderr, /\n\s+at /, 'no stack trace');
});
