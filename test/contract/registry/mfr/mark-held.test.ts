/**
 * A registry ignoring `_sort` whose list moves during each whole read: after 3 reads what was read
 * is taken and the mark kept. Done on every pull, the mark never moves, and nothing showed it: the
 * client now tells it (logged as a warning, counted on /metrics).
 */
import t from 'tap';
import { Registry } from 'prom-client';
import { startMfrSandbox } from '../../../../sandbox/mfr/index.js';
import { markHeldReporter } from '../../../../src/registry/mfr/feed-held.js';
import { createRegistryClient, type RegistryPage } from '../../../../src/registry/mfr/index.js';

const TOKEN = 'mfr-sandbox-token';
const PAGE = 7;

t.test('a whole read moved under each of 3 reads keeps the mark, logged and counted', async (t) => {
  // the directory's clock, moved by hand: no instant depends on the wall clock
  let clock = Date.UTC(2025, 0, 1, 0, 10, 0);
  const s = await startMfrSandbox({ port: 0, pageSize: 6, ignoreSort: true, state: { now: () => clock } });
  t.teardown(() => s.close());
  const since = new Date(Date.UTC(2025, 0, 1)).toISOString();
  const listed = s.state.visible('Location');
  // the first Location renamed keeps its place: page 1 is out of order, the answer is read whole
  s.state.rename(listed[0].id, 'Renamed first');
  clock += 60_000;
  // each whole read's second page: a Location of page 1 (read) is deleted, the later ones shift
  // back and one unchanged Location is on no page; the count shows it, so the answer is read again
  let deleted = 0;
  const push = s.requests.push.bind(s.requests);
  s.requests.push = (...r: string[]) => {
    if (r.some((x) => x.includes(`_offset=${PAGE}&`) || x.endsWith(`_offset=${PAGE}`)))
      s.state.delete(listed[++deleted].id);
    return push(...r);
  };
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  const metrics = new Registry();
  const report = markHeldReporter(metrics, { warn: (obj, msg) => warnings.push({ obj: { ...obj }, msg }) });
  const c = createRegistryClient(
    { 'registry.url': s.url, 'registry.token': TOKEN, 'registry.pageSize': PAGE, 'registry.changeFeed': 'lastUpdated' },
    { retries: 0, retryDelayMs: 1, onMarkHeld: report },
  )!;
  t.teardown(() => c.close());
  const pages: RegistryPage[] = [];
  for await (const p of c.changesSince(since)) pages.push(p);

  t.equal(deleted, 3, 'three whole reads, each moved');
  t.ok(pages.length > 0, 'what was read is taken');
  t.ok(
    pages.every((p) => p.cursor === since),
    'the mark is kept',
  );
  t.equal(warnings.length, 1, 'one warning');
  t.match(warnings[0], {
    obj: { registry: s.url, reason: 'list-moved', mark: since, heldSince: String },
    msg: new RegExp(`high-water mark is held at ${since} since .*ignores _sort and its list moved`),
  });
  t.notMatch(JSON.stringify(warnings), TOKEN, 'no secret in the line');
  t.match(await metrics.metrics(), /^mediator_registry_mark_held_total\{reason="list_moved"\} 1$/m, 'counted');

  // the next pull, the list moving again (page 1 still out of order): held at the same mark
  const again: RegistryPage[] = [];
  for await (const p of c.changesSince(since)) again.push(p);
  t.equal(deleted, 6, 'three more whole reads, each moved');
  t.ok(
    again.every((p) => p.cursor === since),
    'the mark is kept again',
  );
  t.equal(warnings.length, 2, 'held again: a second warning');
  t.equal(warnings[1].obj.heldSince, warnings[0].obj.heldSince, 'held since the first pull that held it');
  t.match(await metrics.metrics(), /^mediator_registry_mark_held_total\{reason="list_moved"\} 2$/m);
});
