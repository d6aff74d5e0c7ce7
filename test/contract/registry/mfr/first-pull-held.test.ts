/**
 * A first pull (no mark yet) of a registry ignoring `_sort` whose list shifts an unchanged Location
 * off the pages during each of 3 whole reads: with a mark, what was read is applied and the mark
 * kept; with none, the pull applied nothing and failed, and did so on every run while the list
 * kept moving. Now what was read is applied and the mark is the start (FROM_THE_START): the next
 * pull reads the whole search again and, the list still, reads the Location every read missed.
 */
import t from 'tap';
import { startMfrSandbox } from '../../../../sandbox/mfr/index.js';
import type { MarkHeldReport } from '../../../../src/registry/mfr/feed-held.js';
import { FROM_THE_START } from '../../../../src/registry/mfr/feed.js';
import { createRegistryClient, type RegistryPage } from '../../../../src/registry/mfr/index.js';

const TOKEN = 'mfr-sandbox-token';
const PAGE = 7;

t.test('a first pull whose list moved under each whole read applies it and keeps the start', async (t) => {
  // the directory's clock, moved by hand: no instant depends on the wall clock
  let clock = Date.UTC(2025, 0, 1, 0, 10, 0);
  const s = await startMfrSandbox({ port: 0, pageSize: 6, ignoreSort: true, state: { now: () => clock } });
  t.teardown(() => s.close());
  const listed = s.state.visible('Location');
  // the first Location renamed keeps its place: page 1 is out of order, the answer is read whole
  s.state.rename(listed[0].id, 'Renamed first');
  clock += 60_000;
  // each whole read's second page: a Location of page 1 (read) is deleted, the later ones shift
  // back and the unchanged one first on page 2 is on no page
  let deleted = 0;
  const missed: string[] = [];
  const push = s.requests.push.bind(s.requests);
  let moving = true;
  s.requests.push = (...r: string[]) => {
    if (moving && r.some((x) => x.includes(`_offset=${PAGE}&`) || x.endsWith(`_offset=${PAGE}`))) {
      s.state.delete(listed[++deleted].id);
      missed.push(String(s.state.visible('Location')[PAGE - 1].id));
    }
    return push(...r);
  };
  const held: MarkHeldReport[] = [];
  const c = createRegistryClient(
    { 'registry.url': s.url, 'registry.token': TOKEN, 'registry.pageSize': PAGE, 'registry.changeFeed': 'lastUpdated' },
    { retries: 0, retryDelayMs: 1, onMarkHeld: (h) => held.push(h) },
  )!;
  t.teardown(() => c.close());

  const first: RegistryPage[] = [];
  for await (const p of c.changesSince(undefined)) first.push(p);
  t.equal(deleted, 3, 'three whole reads, each moved');
  const read = new Set(first.flatMap((p) => p.records.map((r) => r.id)));
  t.ok(read.size > 0, 'what was read is applied');
  t.notOk(read.has(missed[2]), 'the last read missed a Location');
  t.ok(
    first.every((p) => p.cursor === FROM_THE_START),
    'the mark is the start',
  );
  t.match(held, [{ reason: 'list-moved', mark: undefined }], 'the held mark is told');

  // the list moving again: held at the start again, told as the same mark held since the first pull
  const again: RegistryPage[] = [];
  for await (const p of c.changesSince(first.at(-1)!.cursor)) again.push(p);
  t.equal(deleted, 6, 'three more whole reads, each moved');
  t.ok(
    again.every((p) => p.cursor === FROM_THE_START),
    'the mark is the start again',
  );
  t.match(held, [{ mark: undefined }, { reason: 'list-moved', mark: undefined }], 'told as the start');
  t.equal(held[1].heldSince, held[0].heldSince, 'held since the first pull');

  // the list still: the next pull reads the whole search from the start, proven, and moves on
  moving = false;
  const second: RegistryPage[] = [];
  for await (const p of c.changesSince(first.at(-1)!.cursor)) second.push(p);
  const ids = new Set(second.flatMap((p) => p.records.map((r) => r.id)));
  t.same(
    [...ids].sort(),
    s.state
      .visible('Location')
      .map((l) => String(l.id))
      .sort(),
    'every Location listed is read, the one each read missed among them',
  );
  t.ok(Date.parse(second.at(-1)!.cursor) > Date.parse(FROM_THE_START), 'the mark moves');
  t.equal(held.length, 2, 'not held again');
});
