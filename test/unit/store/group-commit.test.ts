/**
 * Group commit in the SQLite store (issue 18): the writes of one event-loop turn share one
 * transaction (one fsync), each in its own savepoint; nothing is answered before the COMMIT has
 * returned; a failing operation rolls back alone; a failing COMMIT fails the whole batch; two
 * store objects on one file share one connection and one batch, so they cannot deadlock.
 * Committed rows are checked through a second, read-only connection: it sees only what is on
 * disk (WAL readers never wait for the writer).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { GroupCommit } from '../../../src/store/group-commit.js';
import { isDatabaseAway } from '../../../src/store/database-away.js';
import { openStore, PayloadConflict, type NewJob } from '../../../src/store/index.js';
import { SqliteStore } from '../../../src/store/sqlite.js';

function tempFile(t: Test, name = 'mediator.db'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'group-commit-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, name);
}

/** Holds every fsync until the test releases it (held.shift()!()); restored at teardown. */
function holdFsyncs(t: Test): (() => void)[] {
  const held: (() => void)[] = [];
  const realFsync = fs.fsync;
  fs.fsync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) =>
    held.push(() => realFsync(fd, cb))) as unknown as typeof fs.fsync;
  t.teardown(() => {
    fs.fsync = realFsync;
  });
  return held;
}

function newJob(key: string, hash = 'h'): NewJob {
  return {
    id: `job-${key}`,
    flow: 'write',
    system: 'noop',
    idempotencyKey: key,
    payloadHash: hash,
    payload: { key },
    status: 'in-flight',
    attempts: 1,
    nextAttemptAt: 1,
    leaseOwner: 'me',
    leaseUntil: 10,
    createdAt: 1,
  };
}

/** The keys a separate connection sees on disk. */
function committedKeys(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT key FROM idempotency_keys ORDER BY key').all() as { key: string }[]).map((r) => r.key);
  } finally {
    db.close();
  }
}

t.test('one turn of writes is one transaction, and each answer comes after its commit', async (t) => {
  const file = tempFile(t);
  const store = (await openStore({ databaseUrl: `sqlite:${file}` })) as SqliteStore;
  t.teardown(() => store.close());
  const before = store.commitStats();
  const seenAtAnswer: string[][] = [];
  const keys = Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, '0')}`);
  // all started in one turn
  const writes = keys.map((k) =>
    store.recordWrite(newJob(k)).then((r) => {
      seenAtAnswer.push(committedKeys(file));
      return r;
    }),
  );
  const results = await Promise.all(writes);
  const after = store.commitStats();
  t.equal(after.commits - before.commits, 1, 'twenty writes in one turn: one COMMIT');
  t.equal(after.operations - before.operations, 20, 'the batch carried all twenty');
  t.ok(
    results.every((r) => r.created),
    'every write recorded a new job',
  );
  t.ok(
    seenAtAnswer.every((seen) => keys.every((k) => seen.includes(k))),
    'when each write was answered, every write of its batch was already on disk',
  );
});

t.test('a read made while a batch is open answers only after that batch commits', async (t) => {
  const file = tempFile(t);
  const store = await openStore({ databaseUrl: `sqlite:${file}` });
  t.teardown(() => store.close());
  const write = store.recordWrite(newJob('seen-by-read'));
  let onDiskWhenRead: string[] | undefined;
  const read = store.getJob('job-seen-by-read').then((job) => {
    onDiskWhenRead = committedKeys(file);
    return job;
  });
  t.equal((await read)?.id, 'job-seen-by-read', 'the read saw the batch’s uncommitted row…');
  t.same(onDiskWhenRead, ['seen-by-read'], '…and was answered only once that row was on disk');
  await write;
});

t.test('a failing operation rolls back alone; the rest of its batch commits', async (t) => {
  const file = tempFile(t);
  const store = await openStore({ databaseUrl: `sqlite:${file}` });
  t.teardown(() => store.close());
  await store.recordWrite(newJob('taken', 'first'));
  const [ok1, conflict, ok2] = await Promise.allSettled([
    store.recordWrites([newJob('a')], []),
    // a fresh key, then a key already used with another payload: the whole call must leave nothing
    store.recordWrites([newJob('b'), { ...newJob('taken', 'second'), id: 'job-taken-2' }], []),
    store.recordWrites([newJob('c')], []),
  ]);
  t.equal(ok1.status, 'fulfilled');
  t.equal(ok2.status, 'fulfilled');
  t.ok(
    conflict.status === 'rejected' && conflict.reason instanceof PayloadConflict,
    'the conflicting call rejects with PayloadConflict',
  );
  t.same(committedKeys(file), ['a', 'c', 'taken'], 'its fresh key b was rolled back with it; a and c committed');
});

t.test('a COMMIT that fails rejects every operation of its batch and keeps none', async (t) => {
  const db = new Database(tempFile(t, 'deferred.db'));
  t.teardown(() => db.close());
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // a deferred foreign key is checked at COMMIT: the one real way to make a COMMIT fail on demand
  db.exec(`CREATE TABLE parent (id TEXT PRIMARY KEY);
    CREATE TABLE child (id TEXT PRIMARY KEY, parent TEXT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);`);
  const commits = new GroupCommit(db);
  const fine = commits.write(() => db.prepare("INSERT INTO parent (id) VALUES ('p1')").run().changes);
  const orphan = commits.write(
    () => db.prepare("INSERT INTO child (id, parent) VALUES ('c1', 'nobody')").run().changes,
  );
  const read = commits.read(() => db.prepare('SELECT count(*) AS n FROM parent').get());
  const outcomes = await Promise.allSettled([fine, orphan, read]);
  t.same(
    outcomes.map((o) => o.status),
    ['rejected', 'rejected', 'rejected'],
    'the good write, the bad one and the read of the batch all reject',
  );
  t.match(String((outcomes[0] as PromiseRejectedResult).reason), /FOREIGN KEY/, 'with the COMMIT’s error');
  t.equal(db.inTransaction, false, 'the transaction was rolled back');
  t.same(db.prepare('SELECT count(*) AS n FROM parent').get(), { n: 0 }, 'nothing of the batch was kept');
  t.equal(await commits.write(() => 'next'), 'next', 'the next batch works');
});

t.test('two stores on one file share one connection and batch: no deadlock, close is counted', async (t) => {
  const file = tempFile(t);
  const a = (await openStore({ databaseUrl: `sqlite:${file}` })) as SqliteStore;
  const b = (await openStore({ databaseUrl: `sqlite:${file}` })) as SqliteStore;
  const before = a.commitStats();
  // interleaved across the two stores in one turn; separate connections would block here
  const done = await Promise.all([
    a.recordWrite(newJob('from-a')),
    b.recordWrite(newJob('from-b')),
    b.getJob('job-from-a'),
    a.putStep('job-from-b', 'one', { x: 1 }, 5),
  ]);
  t.equal(done[2]?.id, 'job-from-a', 'store b reads what store a wrote in the same batch');
  t.same(done[3], { x: 1 });
  t.equal(a.commitStats().commits - before.commits, 1, 'one COMMIT for both stores');
  t.same(b.commitStats(), a.commitStats(), 'the stores share the counters of one connection');
  await a.close();
  t.equal((await b.getJob('job-from-b'))?.id, 'job-from-b', 'closing one store leaves the other working');
  await b.recordWrite(newJob('after-close'));
  await b.close();
  t.same(committedKeys(file), ['after-close', 'from-a', 'from-b'], 'all committed, last close flushed');
  const again = await openStore({ databaseUrl: `sqlite:${file}` });
  t.equal((await again.getJob('job-after-close'))?.id, 'job-after-close', 'reopened after the last close');
  await again.close();
});

t.test(':memory: stores are separate databases', async (t) => {
  const a = await openStore({ databaseUrl: 'sqlite::memory:' });
  const b = await openStore({ databaseUrl: 'sqlite::memory:' });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  await a.recordWrite(newJob('only-in-a'));
  t.ok(await a.getJob('job-only-in-a'));
  t.equal(await b.getJob('job-only-in-a'), undefined);
});

t.test('on a file, nobody is answered before the fsync of the WAL that follows its COMMIT', async (t) => {
  const file = tempFile(t);
  const store = (await openStore({ databaseUrl: `sqlite:${file}` })) as SqliteStore;
  t.teardown(() => store.close());
  await store.recordWrite(newJob('opened')); // the WAL file exists and its descriptor is open
  // hold every fsync until released: the answers must wait for it, the event loop must not
  const held = holdFsyncs(t);
  let answered = false;
  const write = store.recordWrite(newJob('held')).then((r) => {
    answered = true;
    return r;
  });
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.same(committedKeys(file), ['held', 'opened'], 'the batch was committed at the end of its turn…');
  t.equal(held.length, 1, '…and one fsync of the WAL was started for it');
  t.equal(answered, false, 'but the write is not answered while that fsync runs');
  let readAnswered = false;
  const read = store.getJob('job-held').then((j) => {
    readAnswered = true;
    return j;
  });
  const second = store.recordWrite(newJob('next-turn'));
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(readAnswered, false, 'a read that sees the unsynced row waits for the sync as well');
  t.equal(held.length, 1, 'a batch committed during the fsync waits for the next one, not a second one at once');
  held.shift()!();
  t.equal((await write).created, true, 'the fsync done, the write is answered');
  t.equal((await read)?.id, 'job-held', 'and so is the read');
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(held.length, 1, 'the batch committed meanwhile gets its own fsync once the first is done');
  held.shift()!();
  t.equal((await second).created, true);
  t.ok(store.commitStats().syncs >= 3, 'syncs are counted');
});

t.test('writes made while an fsync runs wait in one open batch, committed once that fsync is done', async (t) => {
  const file = tempFile(t);
  const store = (await openStore({ databaseUrl: `sqlite:${file}` })) as SqliteStore;
  t.teardown(() => store.close());
  await store.recordWrite(newJob('opened'));
  const held = holdFsyncs(t);
  const first = store.recordWrite(newJob('first'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(held.length, 1, 'the first batch committed and its fsync runs (held)');
  const before = store.commitStats();
  // three turns of writes while that fsync runs
  const during: Promise<unknown>[] = [];
  for (const key of ['a', 'b', 'c']) {
    during.push(store.recordWrite(newJob(key)));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  t.equal(store.commitStats().commits - before.commits, 0, 'no COMMIT while the fsync runs');
  t.same(committedKeys(file), ['first', 'opened'], 'another connection sees none of them yet');
  t.equal(held.length, 1, 'and no second fsync is queued');
  held.shift()!();
  await first;
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(store.commitStats().commits - before.commits, 1, 'the fsync done, one COMMIT holds all three turns');
  t.equal(store.commitStats().operations - before.operations, 3, 'three operations in it');
  t.same(committedKeys(file), ['a', 'b', 'c', 'first', 'opened'], 'all committed together');
  t.equal(held.length, 1, 'and one fsync covers them (held)');
  let answered = 0;
  for (const p of during) void p.then(() => (answered += 1));
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(answered, 0, 'none is answered before that fsync');
  held.shift()!();
  await Promise.all(during);
  t.equal(answered, 3, 'then all are');

  // a write ahead (its caller goes on at the COMMIT) does not wait for the fsync in flight
  const plain = store.recordWrite(newJob('plain'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(held.length, 1, 'a plain write’s fsync runs (held)');
  const waiting = store.recordWrite(newJob('joined'));
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(committedKeys(file).includes('joined'), 'a plain write waits in the open batch');
  const ended = await store
    .writesAhead()
    .finishJob('job-plain', 'me', { status: 'done', result: { system: 'noop', ids: { w: 'u1' } } }, 3);
  t.equal(ended, true, 'a write ahead joining that batch is answered at its COMMIT, the fsync still held');
  t.ok(committedKeys(file).includes('joined'), 'which committed the plain write waiting in it too');
  t.equal(held.length, 1, 'still the one fsync in flight');
  held.shift()!();
  await plain;
  await new Promise((resolve) => setTimeout(resolve, 20));
  held.shift()!();
  await waiting;
});

t.test('a failed fsync rejects every operation it covered', async (t) => {
  const file = tempFile(t);
  const store = await openStore({ databaseUrl: `sqlite:${file}` });
  t.teardown(() => store.close());
  await store.recordWrite(newJob('opened'));
  const realFsync = fs.fsync;
  fs.fsync = ((_fd: number, cb: (err: NodeJS.ErrnoException | null) => void) =>
    setImmediate(() =>
      cb(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })),
    )) as unknown as typeof fs.fsync;
  const outcomes = await Promise.allSettled([store.recordWrite(newJob('lost-1')), store.recordWrite(newJob('lost-2'))]);
  fs.fsync = realFsync;
  t.same(
    outcomes.map((o) => o.status),
    ['rejected', 'rejected'],
    'both writes of the batch reject: their durability is unknown, so no client is told they are accepted',
  );
  t.match(String((outcomes[0] as PromiseRejectedResult).reason), /EIO/);
  t.ok(
    isDatabaseAway((outcomes[0] as PromiseRejectedResult).reason),
    "the raw EIO is the database's failure (retried later), not a bug of ours (dead-lettered)",
  );
  t.equal((await store.recordWrite(newJob('after'))).created, true, 'the next write works again');
});

t.test('the connection syncs the WAL itself: synchronous=NORMAL on a file, FULL in memory', async (t) => {
  const file = tempFile(t);
  const onFile = (await openStore({ databaseUrl: `sqlite:${file}` })) as SqliteStore;
  const inMemory = (await openStore({ databaseUrl: 'sqlite::memory:' })) as SqliteStore;
  t.teardown(async () => {
    await onFile.close();
    await inMemory.close();
  });
  const level = (s: SqliteStore) =>
    (s as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true }) as number;
  t.equal(level(onFile), 1, 'NORMAL, plus the fsync after each commit');
  t.equal(level(inMemory), 2, 'FULL where there is no WAL file to sync');
  const before = onFile.commitStats().syncs;
  await Promise.all([onFile.recordWrite(newJob('x')), onFile.recordWrite(newJob('y'))]);
  t.equal(onFile.commitStats().syncs - before, 1, 'one batch, one fsync');
});

t.test(
  'a lookup ahead of a write waits for the COMMIT it saw, not for the sync; durable() waits for the sync',
  async (t) => {
    const file = tempFile(t);
    const store = (await openStore({ databaseUrl: `sqlite:${file}` })) as SqliteStore;
    t.teardown(() => store.close());
    await store.recordWrite(newJob('opened'));
    const held = holdFsyncs(t);
    const write = store.recordWrite(newJob('unsynced'));
    let aheadAnswered = false;
    // in the same turn: the lookup sees the open batch, so it waits for that batch's COMMIT
    const ahead = store
      .lookupsAhead()
      .getJob('job-unsynced')
      .then((j) => {
        aheadAnswered = true;
        return j;
      });
    t.equal(aheadAnswered, false, 'not answered before the batch it saw commits');
    await new Promise((resolve) => setTimeout(resolve, 30));
    t.equal(held.length, 1, 'the batch committed and its fsync is running (held)');
    t.equal((await ahead)?.id, 'job-unsynced', 'the lookup ahead is answered while that fsync is held');
    let readAnswered = false;
    let durableAnswered = false;
    const read = store.getJob('job-unsynced').then(() => (readAnswered = true));
    const durable = store.durable().then(() => (durableAnswered = true));
    const link = await store.lookupsAhead().getLink('orders', 'nothing-here');
    t.equal(link, undefined, 'a lookup ahead with no open batch answers at once');
    await new Promise((resolve) => setTimeout(resolve, 30));
    t.equal(readAnswered, false, 'a plain read of the unsynced row still waits for the sync');
    t.equal(durableAnswered, false, 'durable() waits for the sync');
    held.shift()!();
    await Promise.all([write, read, durable]);
    t.ok(readAnswered && durableAnswered, 'both answered once the fsync completed');
    t.equal(await store.lookupsAhead().getLink('orders', 'x'), undefined);
    await store.durable(); // nothing unsynced: at once
  },
);

t.test('a lookup ahead that saw a batch whose COMMIT fails rejects with it', async (t) => {
  const file = tempFile(t);
  const store = (await openStore({ databaseUrl: `sqlite:${file}` })) as SqliteStore;
  t.teardown(() => store.close());
  await store.recordWrite(newJob('opened'));
  const commits = (store as unknown as { conn: { commits: GroupCommit } }).conn.commits;
  const commit = (commits as unknown as { commit: { run(): unknown } }).commit;
  const realRun = commit.run.bind(commit);
  commit.run = () => {
    commit.run = realRun;
    throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
  };
  const write = store.recordWrite(newJob('lost'));
  const ahead = store.lookupsAhead().getJob('job-lost');
  const [w, a] = await Promise.allSettled([write, ahead]);
  t.equal(w.status, 'rejected', 'the write is refused');
  t.equal(a.status, 'rejected', 'and the lookup that saw its row does not answer with it');
  t.equal(await store.getJob('job-lost'), undefined, 'the row is gone');
});

t.test('a write ahead settles at its COMMIT; onDisk() waits for its sync, not for a batch opened later', async (t) => {
  const file = tempFile(t);
  const store = (await openStore({ databaseUrl: `sqlite:${file}` })) as SqliteStore;
  t.teardown(() => store.close());
  await store.recordWrite(newJob('ended'));
  const held = holdFsyncs(t);
  const before = store.commitStats();
  const ended = await store
    .writesAhead()
    .finishJob('job-ended', 'me', { status: 'done', result: { system: 'noop', ids: { w: 'u1' } } }, 2);
  t.equal(ended, true, 'the end is answered at its COMMIT');
  t.equal(held.length, 0, 'and no fsync has started for it: nobody waits for it yet');
  t.equal(store.commitStats().operations - before.operations, 1, 'counted as one write of the batch');
  t.same(committedKeys(file), ['ended'], 'committed: another connection sees the job');
  const onDisk = store.writesAhead().onDisk();
  t.equal(held.length, 1, 'onDisk() starts its fsync (held)');
  let onDiskAnswered = false;
  void onDisk.then(() => (onDiskAnswered = true));
  // a later batch, committed while the first fsync is held: onDisk() taken before it ignores it
  const sighting = store.writesAhead().firstSeen('orders', [{ fhirId: 'a', version: 'v1' }], 5);
  const later = store.recordWrite(newJob('later'));
  t.equal((await sighting).get('a'), 5, 'the sighting is answered at its COMMIT too');
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(onDiskAnswered, false, 'onDisk() waits for the held fsync');
  held.shift()!();
  await onDisk;
  t.equal(held.length, 1, 'and not for the fsync of the batch committed after it (now running)');
  let laterAnswered = false;
  void later.then(() => (laterAnswered = true));
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(laterAnswered, false, 'a plain write still waits for its own fsync');
  held.shift()!();
  await later;
  await store.writesAhead().onDisk(); // nothing unsynced: at once
});

t.test('a batch of writes ahead only is synced when someone waits for it, not before', async (t) => {
  const file = tempFile(t);
  const store = (await openStore({ databaseUrl: `sqlite:${file}` })) as SqliteStore;
  t.teardown(() => store.close());
  await store.recordWrite(newJob('first'));
  const before = store.commitStats();
  const seen = await store.writesAhead().firstSeen('orders', [{ fhirId: 'a', version: 'v1' }], 3);
  t.equal(seen.get('a'), 3, 'answered at its COMMIT');
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(store.commitStats().commits - before.commits, 1, 'committed');
  t.equal(store.commitStats().syncs - before.syncs, 0, 'no fsync of its own while nobody waits for it');
  await store.writesAhead().onDisk();
  t.equal(store.commitStats().syncs - before.syncs, 1, 'onDisk() starts the fsync that covers it');
  const more = await store.writesAhead().firstSeen('orders', [{ fhirId: 'b', version: 'v1' }], 4);
  t.equal(more.get('b'), 4);
  await store.recordWrite(newJob('second'));
  t.equal(store.commitStats().syncs - before.syncs, 2, 'the next write waited for covers an unsynced sighting too');
  t.equal((await store.firstSeen('orders', [{ fhirId: 'b', version: 'v1' }], 9)).get('b'), 4, 'which is kept');
});

t.test('a first sighting written ahead is answered at once and commits with the writes around it', async (t) => {
  const file = tempFile(t);
  const store = (await openStore({ databaseUrl: `sqlite:${file}` })) as SqliteStore;
  t.teardown(() => store.close());
  await store.recordWrite(newJob('opened'));
  const held = holdFsyncs(t);
  const first = store.recordWrite(newJob('first'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(held.length, 1, 'an fsync runs (held)');
  const before = store.commitStats();
  const seen = await store.writesAhead().firstSeen('orders', [{ fhirId: 'a', version: 'v1' }], 5);
  t.equal(seen.get('a'), 5, 'answered without waiting for a COMMIT');
  const again = await store.writesAhead().firstSeen('orders', [{ fhirId: 'a', version: 'v1' }], 8);
  t.equal(again.get('a'), 5, 'a second look at the same content, in the open batch, keeps that time');
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(store.commitStats().commits - before.commits, 0, 'no COMMIT of its own while the fsync runs');
  const next = store.recordWrite(newJob('next'));
  held.shift()!();
  await first;
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(store.commitStats().commits - before.commits, 1, 'it commits with the write made after it');
  held.shift()!();
  await next;
  t.equal((await store.firstSeen('orders', [{ fhirId: 'a', version: 'v1' }], 9)).get('a'), 5, 'and is kept');
});

t.test('a write ahead whose COMMIT fails rejects, and so does a failing one alone', async (t) => {
  const file = tempFile(t);
  const store = (await openStore({ databaseUrl: `sqlite:${file}` })) as SqliteStore;
  t.teardown(() => store.close());
  await store.recordWrite(newJob('opened'));
  const commits = (store as unknown as { conn: { commits: GroupCommit } }).conn.commits;
  const failing = commits.writeAhead(() => {
    throw new Error('constraint');
  });
  const fine = store.writesAhead().firstSeen('orders', [{ fhirId: 'b', version: 'v1' }], 7);
  const [f, ok] = await Promise.allSettled([failing, fine]);
  t.equal(f.status, 'rejected', 'the failing write rejects');
  t.equal(ok.status, 'fulfilled', 'its neighbour in the batch commits');
  const commit = (commits as unknown as { commit: { run(): unknown } }).commit;
  const realRun = commit.run.bind(commit);
  commit.run = () => {
    commit.run = realRun;
    throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
  };
  const lostEnd = store
    .writesAhead()
    .finishJob('job-opened', 'me', { status: 'done', result: { system: 'noop', ids: { w: 'u1' } } }, 9);
  const sighting = await store.writesAhead().firstSeen('orders', [{ fhirId: 'c', version: 'v1' }], 9);
  t.equal(sighting.get('c'), 9, 'a first sighting written ahead is answered before its batch commits');
  await t.rejects(lostEnd, /disk I\/O error/, 'a COMMIT that fails rejects the write ahead');
  t.equal((await store.getJob('job-opened'))?.status, 'in-flight', 'the end is not there');
  const seen = await store.firstSeen('orders', [{ fhirId: 'c', version: 'v2' }], 11);
  t.equal(seen.get('c'), 11, 'nor the sighting: lost with its batch, the next one recorded later');
});

t.test('firstSeen: a new version is one write, a known one a read; the kept sighting wins', async (t) => {
  const file = tempFile(t);
  const store = (await openStore({ databaseUrl: `sqlite:${file}` })) as SqliteStore;
  t.teardown(() => store.close());
  const before = store.commitStats();
  const first = await store.firstSeen(
    'orders',
    [
      { fhirId: 'a', version: 'v1' },
      { fhirId: 'b', version: 'v1' },
    ],
    100,
  );
  t.same(
    [...first],
    [
      ['a', 100],
      ['b', 100],
    ],
    'both first seen now',
  );
  const mid = store.commitStats();
  t.equal(mid.operations - before.operations, 1, 'one write for the two new sightings');
  const again = await store.firstSeen(
    'orders',
    [
      { fhirId: 'a', version: 'v1' },
      { fhirId: 'b', version: 'v2' },
    ],
    200,
  );
  t.same(
    [...again].sort(),
    [
      ['a', 100],
      ['b', 200],
    ],
    'the unchanged one keeps its time, the changed one is seen now',
  );
  const same = await store.firstSeen('orders', [{ fhirId: 'a', version: 'v1' }], 300);
  t.same([...same], [['a', 100]]);
  t.equal(store.commitStats().operations - mid.operations, 1, 'an unchanged version writes nothing');
  const many = Array.from({ length: 1200 }, (_, i) => ({ fhirId: `m${i}`, version: 'v' }));
  const seen = await store.firstSeen('orders', many, 400);
  t.equal(seen.size, 1200, 'more ids than one statement takes are all answered');
});
