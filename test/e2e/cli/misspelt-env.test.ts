/**
 * `serve` with a setting's environment variable misspelt (OPENLMIS_PASSWROD): the variable is
 * ignored, so the connector runs without the password the operator meant to give and every
 * login fails with nothing saying why. Start-up now warns, naming the variable and the one it
 * is close to, never its value. A separate process, as an operator runs it.
 */
import t from 'tap';
import { serveEnv, servingCli, tempDir } from '../../support/minimal-env-cli.js';
import { until } from '../../support/net.js';

const VALUE = 'Meant7For3Lmis9Pw';

t.test('a misspelt setting variable is named at start-up, its value never', async (t) => {
  const env = await serveEnv({
    DATA_DIR: tempDir(t, 'misspelt-env'),
    OPENLMIS_PASSWROD: VALUE,
    SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt', // OpenSSL's own: not a typo of TLS_CERT_FILE
  });
  const { output } = servingCli(t, env);
  await until('the warning', async () => (output().includes('is not a setting') ? true : undefined), 30_000);
  const warnings = output()
    .split('\n')
    .filter((l) => l.includes('is not a setting'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; variable: string; meant: string });
  t.same(
    warnings.map((w) => [w.level, w.msg, w.variable, w.meant]),
    [
      [
        40,
        'environment variable OPENLMIS_PASSWROD is not a setting and is ignored: did you mean OPENLMIS_PASSWORD?',
        'OPENLMIS_PASSWROD',
        'OPENLMIS_PASSWORD',
      ],
    ],
  );
  t.notOk(output().includes(VALUE), 'the value is never printed');
  t.ok((await fetch(`http://127.0.0.1:${env.PORT}/health`)).ok, 'and the mediator serves');
});
