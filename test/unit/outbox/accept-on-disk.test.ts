/**
 * Nobody is answered before their accept is on disk, an error answer included (outbox.ts
 * acceptWrites, accept-on-disk.ts). Through the real SQLite store (its group commit and WAL sync,
 * fs.fsync held here). The accept's overlap with the delivery's first reads (181e534) was taken
 * back: it lost a registry change in a race (outbox.ts says how); these waits stay.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
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
