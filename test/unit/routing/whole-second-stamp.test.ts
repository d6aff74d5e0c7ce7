import t from 'tap';
import { isWholeSecond, refinedStamp } from '../../../src/routing/whole-second-stamp.js';

t.test('only times without a fraction are whole seconds', async (t) => {
  t.ok(isWholeSecond('2026-12-05T08:22:42Z'));
  t.ok(isWholeSecond('2026-12-05T10:22:42+02:00'));
  t.notOk(isWholeSecond('2026-12-05T08:22:42.000Z'), 'a fraction, even zero, is the upstream’s own precision');
  t.notOk(isWholeSecond('2026-12-05T08:22:42'), 'a time without its zone is left alone');
  t.notOk(isWholeSecond('2026-12-05'));
});

t.test('a whole second is refined by the first sighting, inside that second', async (t) => {
  const at = Date.parse('2026-12-05T08:22:42Z');
  t.equal(refinedStamp('2026-12-05T08:22:42Z', at + 419), '2026-12-05T08:22:42.419Z');
  t.equal(refinedStamp('2026-12-05T10:22:42+02:00', at + 5), '2026-12-05T08:22:42.005Z', 'an offset too');
  t.equal(refinedStamp('2026-12-05T08:22:42Z', at + 60_000), '2026-12-05T08:22:42.999Z', 'seen later: its last ms');
  t.equal(refinedStamp('2026-12-05T08:22:42Z', at), '2026-12-05T08:22:42Z', 'seen at its start: as sent');
  t.equal(refinedStamp('2026-12-05T08:22:42Z', at - 3000), '2026-12-05T08:22:42Z', 'a clock behind: as sent');
});
