/**
 * The held mark's counter is made once, by the server (main.ts), and handed to every registry
 * client the registry side makes: a settings reload naming another registry makes a new client,
 * and prom-client refuses a second counter of the same name on one registry. So the client made
 * after the reload reports through the same counter, with the new registry's name.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { startMfrSandbox, type MfrSandbox } from '../../../../sandbox/mfr/index.js';
import type { Settings } from '../../../../src/config/settings.js';
import { Outbox } from '../../../../src/outbox/outbox.js';
import { markHeldReporter } from '../../../../src/registry/mfr/feed-held.js';
import { registrySide } from '../../../../src/registry/propagation/index.js';
import { openStore } from '../../../../src/store/index.js';

const TOKEN = 'mfr-sandbox-token';
const PAGE = 7;
const SINCE = new Date(Date.UTC(2025, 0, 1)).toISOString();

/** A registry ignoring _sort whose list moves during each whole read (as mark-held.test.ts). */
async function movingRegistry(t: Test): Promise<MfrSandbox> {
  let clock = Date.UTC(2025, 0, 1, 0, 10, 0);
  const s = await startMfrSandbox({ port: 0, pageSize: 6, ignoreSort: true, state: { now: () => clock } });
  t.teardown(() => s.close());
  const listed = s.state.visible('Location');
  s.state.rename(listed[0].id, 'Renamed first');
  clock += 60_000;
  let deleted = 0;
  const push = s.requests.push.bind(s.requests);
  s.requests.push = (...r: string[]) => {
    if (r.some((x) => x.includes(`_offset=${PAGE}&`) || x.endsWith(`_offset=${PAGE}`)))
      s.state.delete(listed[++deleted].id);
    return push(...r);
  };
  return s;
}

t.test('a reload naming another registry reports through the one counter', async (t) => {
  const [first, second] = [await movingRegistry(t), await movingRegistry(t)];
  const dir = mkdtempSync(path.join(tmpdir(), 'x2-mark-held-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore({ dataDir: dir });
  t.teardown(() => store.close());
  const outbox = new Outbox({ store });
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  const metrics = new Registry();
  const onMarkHeld = markHeldReporter(metrics, { warn: (obj, msg) => warnings.push({ obj: { ...obj }, msg }) });
  const registryOn = (url: string) =>
    ({
      'registry.url': url,
      'registry.token': TOKEN,
      'registry.pageSize': PAGE,
      'registry.changeFeed': 'lastUpdated',
    }) as unknown as Settings;
  let settings = registryOn(first.url);
  const side = registrySide({ store, outbox, connectors: () => [], settings: () => settings, systems: [], onMarkHeld });
  t.teardown(() => side.close());

  const pull = async () => {
    const pages = [];
    for await (const p of side.registry()!.changesSince(SINCE)) pages.push(p);
    return pages;
  };
  t.ok(
    (await pull()).every((p) => p.cursor === SINCE),
    'the first registry: the mark kept',
  );
  const before = side.registry();
  settings = registryOn(second.url); // the settings reloaded: another registry
  t.not(side.registry(), before, 'a new client for the new registry');
  t.ok(
    (await pull()).every((p) => p.cursor === SINCE),
    'the second registry: the mark kept',
  );

  t.same(
    warnings.map((w) => w.obj.registry),
    [first.url, second.url],
    'each warning names the registry read',
  );
  t.match(await metrics.metrics(), /^mediator_registry_mark_held_total\{reason="list_moved"\} 2$/m, 'one counter, 2');
});
