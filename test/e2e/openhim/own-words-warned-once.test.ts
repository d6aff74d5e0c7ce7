/**
 * A secret equal to a word of the mediator's own output (`password`) is warned about once at
 * start, not again when the first OpenHIM heartbeat applies the console's settings, which repeat
 * the same values: an operator reading the start-up log sees the warning once. A value changed
 * later to another such word is warned about (it is news). Through the real mediator and the
 * OpenHIM sandbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import t from 'tap';
import { startOpenHimSandbox } from '../../../sandbox/openhim/index.js';
import { loadSettings } from '../../../src/config/load.js';
import { startMediator } from '../../../src/main.js';
import { openHimMediatorEnv, untilDefined } from '../../support/openhim-ready.js';

const OWN_WORD = /word of the mediator's own output/;

t.test('an own-word secret: one warning at start, though OpenHIM applies its settings', async (t) => {
  const openhim = await startOpenHimSandbox({ port: 0 });
  t.teardown(() => openhim.close());
  const dir = mkdtempSync(path.join(tmpdir(), 'x-own-words-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const mediator = await startMediator(
    loadSettings({
      ...openHimMediatorEnv({ dataDir: dir, inboundPassword: 'password', apiUrl: openhim.url }),
      AUTH_USERNAME: 'hie-route',
    }),
    { logger },
  );
  t.teardown(() => mediator.stop());
  // the console's settings applied, and a few heartbeats more with them
  await untilDefined('the OpenHIM settings applied', async () =>
    lines.some((l) => /configuration from OpenHIM applied/.test(l)) ? true : undefined,
  );
  const applied = openhim.state.calls.filter((c) => c.url.endsWith('/heartbeat')).length;
  await untilDefined('three more heartbeats', async () =>
    openhim.state.calls.filter((c) => c.url.endsWith('/heartbeat')).length >= applied + 3 ? true : undefined,
  );
  const warnings = lines.filter((l) => OWN_WORD.test(l)).map((l) => JSON.parse(l) as { settings: string[] });
  t.equal(warnings.length, 1, `warned once: ${JSON.stringify(warnings)}`);
  t.same(warnings[0]?.settings, ['AUTH_PASSWORD']);
});
