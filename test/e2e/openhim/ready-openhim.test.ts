/**
 * A bad day with OpenHIM, through the real mediator (startMediator): /ready says what keeps
 * OpenHIM from knowing the mediator is up, in an operator's words, while the mediator stays ready
 * and serves FHIR; the line clears once registration or heartbeats succeed again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import t, { type Test as Tap } from 'tap';
import { DEFAULT_OPENHIM_USER, startOpenHimSandbox } from '../../../sandbox/openhim/index.js';
import type { SandboxUser } from '../../../sandbox/openhim/server.js';
import { loadSettings } from '../../../src/config/load.js';
import { startMediator, type RunningMediator } from '../../../src/main.js';
import { freePort } from '../../support/net.js';
import { openHimMediatorEnv, readyOf, untilDefined } from '../../support/openhim-ready.js';

const PASSWORD = 'ready-openhim-inbound-secret';
const authorization = 'Basic ' + Buffer.from(`openhim:${PASSWORD}`).toString('base64');

const ready = (mediator: RunningMediator) => readyOf(mediator, authorization);

async function start(t: Tap, apiUrl: string, password: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ready-openhim-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const mediator = await startMediator(
    loadSettings(openHimMediatorEnv({ dataDir: dir, inboundPassword: PASSWORD, apiUrl, openhimPassword: password })),
    { logger },
  );
  t.teardown(() => mediator.stop());
  return { mediator, lines };
}

t.test('OpenHIM down at start: served and ready, /ready says not registered; clears once OpenHIM is up', async (t) => {
  const port = await freePort();
  const { mediator } = await start(t, `http://127.0.0.1:${port}`, DEFAULT_OPENHIM_USER.password);
  const first = await ready(mediator);
  t.match(first.openhim?.reason, /^not registered with OpenHIM yet/, 'said from the start, before any answer');
  const down = await untilDefined('a failed registration', async () => {
    const r = await ready(mediator);
    return r.openhim?.reason?.includes(' since ') ? r : undefined;
  });
  t.equal(down.code, 200, 'OpenHIM away does not make the mediator unready');
  t.equal(down.body.status, 'ready');
  t.equal(down.openhim?.status, 'degraded');
  t.match(down.openhim?.reason, /^not registered with OpenHIM yet since \S+: OpenHIM not reachable: .*ECONNREFUSED/);
  t.match(down.openhim?.reason, /FHIR requests are served meanwhile/);
  const metadata = await mediator.app.inject({ url: '/fhir/metadata' });
  t.equal(metadata.statusCode, 200, 'FHIR is served meanwhile');

  const sandbox = await startOpenHimSandbox({ port });
  t.teardown(() => sandbox.close());
  const up = await untilDefined('registration', async () => {
    const r = await ready(mediator);
    return r.openhim?.status === 'ok' ? r : undefined;
  });
  t.equal(up.code, 200);
  t.equal(up.openhim?.reason, undefined);
  t.ok(sandbox.state.mediators.size === 1, 'registered once OpenHIM answered');
});

t.test('the API password changed in OpenHIM mid-run: /ready names the 401 and what to fix', async (t) => {
  const user: SandboxUser = { ...DEFAULT_OPENHIM_USER };
  const sandbox = await startOpenHimSandbox({ port: 0, users: [user] });
  t.teardown(() => sandbox.close());
  const { mediator, lines } = await start(t, sandbox.url, DEFAULT_OPENHIM_USER.password);
  await untilDefined('registration', async () => ((await ready(mediator)).openhim?.status === 'ok' ? true : undefined));

  user.password = 'rotated-by-the-openhim-admin';
  const refused = await untilDefined('a refused heartbeat', async () => {
    const r = await ready(mediator);
    return r.openhim?.status === 'degraded' ? r : undefined;
  });
  t.equal(refused.code, 200);
  t.match(refused.openhim?.reason, /^OpenHIM heartbeats failing since \S+: OpenHIM refused the API login \(401\)/);
  t.match(refused.openhim?.reason, /OPENHIM_PASSWORD/);
  const warning = lines.find((l) => l.includes('OpenHIM heartbeat failed'));
  t.match(warning, /OpenHIM refused the API login \(401\)/, 'the log line says it in the same words');
  t.notOk(
    lines.some((l) => l.includes(DEFAULT_OPENHIM_USER.password)),
    'the password is never logged',
  );

  user.password = DEFAULT_OPENHIM_USER.password;
  await untilDefined('heartbeats again', async () =>
    (await ready(mediator)).openhim?.status === 'ok' ? true : undefined,
  );
  t.pass('the line clears when the login is accepted again');
});
