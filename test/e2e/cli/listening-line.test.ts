/**
 * The start-up line `mediator listening` names the public base URL links are built on. With
 * `server.publicBaseUrl` unset, links use the address each client used (app.ts): the line said
 * `http://localhost:<port>` instead, a URL nothing used (`http://localhost:0` on port 0, http
 * behind TLS). It now says the setting is unset, and names it when it is set.
 */
import t, { type Test } from 'tap';
import { loadSettings } from '../../../src/config/load.js';
import { startMediator } from '../../../src/main.js';
import { mediatorDataDir } from '../../support/console-mediator.js';
import { logLines } from '../../support/log-lines.js';

async function listeningLine(t: Test, env: Record<string, string>) {
  const log = logLines();
  const mediator = await startMediator(
    loadSettings({
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: mediatorDataDir(t, 'listening-line-'),
      AUTH_PASSWORD: 'listening-line-password',
      OPENLMIS_BASE_URL: '',
      ...env,
    } as NodeJS.ProcessEnv),
    { logger: log.logger },
  );
  t.teardown(() => mediator.stop());
  const line = log.lines().find((l) => l.msg === 'mediator listening');
  return { mediator, line };
}

t.test('unset publicBaseUrl: the line says so, not a localhost URL', async (t) => {
  const { mediator, line } = await listeningLine(t, {});
  t.equal(line?.address, mediator.url);
  t.equal(line?.publicBaseUrl, 'unset: links use the address each client used');
  const res = await fetch(`${mediator.url}/fhir/metadata`);
  t.equal(((await res.json()) as { implementation: { url: string } }).implementation.url, `${mediator.url}/fhir`);
});

t.test('set publicBaseUrl: the line names it', async (t) => {
  const { line } = await listeningLine(t, { PUBLIC_BASE_URL: 'https://hie.example.org/supply' });
  t.equal(line?.publicBaseUrl, 'https://hie.example.org/supply');
});
