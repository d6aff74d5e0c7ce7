/**
 * Issue 18: an accept settles at its COMMIT, and its delivery's first upstream reads overlap the
 * fsync that makes it durable (outbox/accept-on-disk.ts). What keeps that safe: no upstream write
 * goes out, and nobody is answered, before that fsync has completed. Through the real SQLite store
 * (its group commit and WAL sync, fs.fsync held or failed here) and the shared upstream transport
 * against a small HTTP server that counts what it receives. PostgreSQL commits to disk before an
 * accept settles, so there is nothing to overlap there (test/e2e/outbox/power-cut.test.ts covers
 * both engines' crash safety).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
import type { WriteOutcome } from '../../../src/outbox/types.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { basicAuth } from '../../../src/upstream/auth/basic.js';
import { holdFsyncs } from '../../support/held-fsyncs.js';
import { upstreamAsAlice, type Upstream } from '../upstream/harness.js';

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A SQLite store in a file (its WAL synced by fs.fsync), an outbox on it, and an upstream whose stock a write reads, then posts. */
async function rig(t: Test): Promise<{ store: Store; outbox: Outbox; u: Upstream }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accept-on-disk-'));
  const store = await openStore({ databaseUrl: `sqlite:${path.join(dir, 'mediator.db')}` });
  const { u, client } = await upstreamAsAlice(
    t,
    (s) => basicAuth(() => s()),
    4,
    (app) => {
      app.get('/stock', async () => ({ onHand: 10 }));
      app.post('/stock', async () => ({ id: 'event-1' }));
    },
  );
  const outbox = new Outbox({
    store,
    options: { deadlineMs: 10_000, pollMs: 20, backoff: { baseMs: 5, capMs: 10, maxAttempts: 5 } },
  });
  // a connector that reads before it writes, with no journal step between: only the outbox's wait guards its POST
  outbox.register('stock', 'lmis', async () => {
    await client.call({ method: 'GET', path: '/stock' });
    await client.call({ method: 'POST', path: '/stock', body: { quantity: 5 } });
    return { system: 'lmis', ids: { event: 'event-1' } };
  });
  t.teardown(async () => {
    await outbox.stop();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  // a first write through: the WAL file exists and has been synced once, the client's pool is open
  const warm = await outbox.acceptWrite({ flow: 'stock', system: 'lmis', idempotencyKey: 'warm', payload: {} });
  if (warm.kind !== 'done') throw new Error(`warm-up write ended ${warm.kind}`);
  return { store, outbox, u };
}

t.test("the accept's fsync overlaps the first read; the write and the answer wait for it", async (t) => {
  const { outbox, u } = await rig(t);
  const fsyncs = holdFsyncs(t);
  let answered: WriteOutcome | undefined;
  const outcome = outbox
    .acceptWrite({ flow: 'stock', system: 'lmis', idempotencyKey: 'count-1', payload: { n: 1 } })
    .then((o) => (answered = o));
  await until('the delivery to read upstream', () => u.hits('GET /stock') === 2);
  t.ok(fsyncs.held() >= 1, "the read went out while the accept's fsync was still held");
  t.equal(u.hits('POST /stock'), 1, 'nothing written upstream for this write yet (the warm-up wrote once)');
  t.equal(answered, undefined, 'nobody answered');
  fsyncs.release();
  const done = await outcome;
  t.equal(done.kind, 'done', 'delivered once the accept was on disk');
  t.equal(u.hits('POST /stock'), 2, 'written upstream once');
});

t.test(
  'an accept whose fsync fails: read, but nothing written upstream nor answered; retried and written once',
  async (t) => {
    const { store, outbox, u } = await rig(t);
    const fsyncs = holdFsyncs(t);
    const outcome = outbox.acceptWrite({ flow: 'stock', system: 'lmis', idempotencyKey: 'count-2', payload: { n: 2 } });
    const settled = outcome.then(
      () => 'answered',
      (err: unknown) => err,
    );
    await until('the delivery to read upstream', () => u.hits('GET /stock') === 2);
    fsyncs.fail(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO', errno: -5, syscall: 'fsync' }));
    const err = await settled;
    t.match(
      err,
      { code: 'EIO' },
      'the client is told the accept failed, as when the accept itself waited for the disk',
    );
    await outbox.idle();
    t.equal(u.hits('POST /stock'), 1, 'the attempt wrote nothing upstream (only the warm-up did)');
    const [job] = await store.findJobsByKey('count-2');
    t.equal(job?.status, 'pending', 'the job stays for a retry, as a database failure');
    t.match(job?.lastError, /database/, "its last error is the database's");

    outbox.startWorker();
    await until('the retry to deliver it', async () => (await store.findJobsByKey('count-2'))[0]?.status === 'done');
    t.equal(u.hits('POST /stock'), 2, 'written upstream once, by the retry');
  },
);

t.test("an error answer too waits for the accept's sync", async (t) => {
  const { outbox } = await rig(t);
  const fsyncs = holdFsyncs(t);
  // a failure of the outbox's own after the record (a store read refusing, say), before any attempt
  (outbox as unknown as { deliverNow: () => Promise<never> }).deliverNow = () =>
    Promise.reject(new Error('the store refused a read'));
  let settled = false;
  const outcome = outbox
    .acceptWrite({ flow: 'stock', system: 'lmis', idempotencyKey: 'count-err', payload: { n: 3 } })
    .finally(() => (settled = true));
  outcome.catch(() => undefined);
  await until("the accept's fsync to be asked for", () => fsyncs.held() >= 1);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(settled, false, 'the error is not answered while the accept may still be lost');
  fsyncs.release();
  await t.rejects(outcome, /the store refused a read/, 'answered with its error once on disk');
});
