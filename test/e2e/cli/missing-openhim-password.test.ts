/**
 * `serve` with OPENHIM_API_URL but no OPENHIM_PASSWORD: OpenHIM's API refuses every call without
 * it, and unlike an upstream's credentials it cannot come later from the OpenHIM console (the
 * console is reached through it). It used to start, register with an empty password for ever and
 * leave the reason in /ready; now start-up stops with one line naming both settings, exit 1.
 * A separate process, as an operator runs it.
 */
import t from 'tap';
import { cliToEnd, serveEnv, tempDir } from '../../support/minimal-env-cli.js';
import { freePort } from '../../support/net.js';

t.test('OPENHIM_API_URL without OPENHIM_PASSWORD: one line naming both, exit 1', async (t) => {
  const env = await serveEnv({
    DATA_DIR: tempDir(t, 'openhim-no-pw'),
    OPENHIM_API_URL: `http://127.0.0.1:${await freePort()}`,
  });
  const outcome = await cliToEnd(['serve'], env, 20_000);
  t.equal(outcome.code, 1, 'exit 1');
  t.equal(
    outcome.stderr.trim(),
    'configuration error: openhim.apiUrl (OPENHIM_API_URL) is set but openhim.password (OPENHIM_PASSWORD) is not: OpenHIM refuses every API call without it; set it, or unset OPENHIM_API_URL to run without OpenHIM',
  );
});
