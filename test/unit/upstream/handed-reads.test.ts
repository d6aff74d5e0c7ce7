import t from 'tap';
import { handingReads, handRead, takeHandedReads, withHandedReads } from '../../../src/upstream/handed-reads.js';

t.test('a read is handed only inside a scope, and only once', async (t) => {
  handRead('k', 1);
  t.notOk(handingReads(), 'no scope: nothing is kept');
  t.equal(takeHandedReads().size, 0);

  await withHandedReads(async () => {
    t.ok(handingReads());
    handRead('k', { values: [1] });
    await new Promise((r) => setTimeout(r, 1));
    const first = takeHandedReads();
    t.same(first.get('k'), { values: [1] }, 'the first write attempt takes it');
    t.equal(takeHandedReads().size, 0, 'a second attempt in the same scope finds none: it reads afresh');
    t.same(first.get('k'), { values: [1] }, 'what was taken stays with the attempt that took it');
  });
});

t.test('scopes run at once keep their reads apart', async (t) => {
  const one = (key: string, ms: number) =>
    withHandedReads(async () => {
      handRead(key, key);
      await new Promise((r) => setTimeout(r, ms));
      return [...takeHandedReads().keys()];
    });
  t.same(await Promise.all([one('a', 5), one('b', 1)]), [['a'], ['b']]);
});

t.test('work started in a scope but run later, once it is taken, finds nothing', async (t) => {
  let later: Promise<number> | undefined;
  await withHandedReads(async () => {
    handRead('k', 1);
    // a timer set inside the scope (a retry scheduled from within it) runs in its context
    later = new Promise((r) => setTimeout(() => r(takeHandedReads().size), 5));
    t.equal(takeHandedReads().size, 1);
  });
  t.equal(await later, 0);
});

t.test('what is left when the scope ends is dropped', async (t) => {
  let later: Promise<number> | undefined;
  await withHandedReads(async () => {
    handRead('k', 1);
    // work begun in the scope that looks only after the caller moved on (a write still waiting)
    later = new Promise((r) => setTimeout(r, 5)).then(() => takeHandedReads().size);
  });
  t.equal(await later, 0, 'finds nothing: it reads afresh');
});
