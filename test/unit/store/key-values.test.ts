/**
 * Store.findJobsByKeyValue (v49, key-values.ts): the writes whose business key is
 * `kind|<any system>|value`, for a search by an identifier without a system (FHIR: the value in
 * any system). Found on both engines, none of another kind or value; and read from v49's index on
 * the key's value, not by a suffix match over every job (plans, not timings). Keys as the mediator
 * writes them since v68: a value's bars escaped (domain/business-key.ts).
 */
import t from 'tap';
import {
  jobsByKeyValueArgs,
  jobsByKeyValueSql,
  keysOfMarkedValueArgs,
  keysOfMarkedValueSql,
} from '../../../src/store/key-values.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { newJob } from '../../support/new-job.js';
import { queryPlan, sqlitePlanner } from '../../support/query-plan.js';

const APP = 'https://mobile.example.org/deliveries';

for (const engine of engineCases()) {
  t.test(`${engine.name}: writes under a value in any system`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const delivery = (id: string, key: string) => newJob(id, { flow: 'delivery', idempotencyKey: key });
    await store.recordWrite(delivery('d1', `delivery|${APP}|DL-1`));
    await store.recordWrite(delivery('d2', 'delivery|urn:other:app|DL-1'));
    await store.recordWrite(delivery('d3', `delivery|${APP}|DL-10`));
    await store.recordWrite(delivery('d4', `delivery|${APP}|X%7CDL-1`));
    await store.recordWrite(delivery('d5', `delivery|${APP}|A%7CB`));
    await store.recordWrite(newJob('o1', { idempotencyKey: `order|${APP}|DL-1` }));
    await store.recordWrite(newJob('o2', { idempotencyKey: `deliveryx|${APP}|DL-1` }));

    const ids = async (kind: string, value: string) =>
      (await store.findJobsByKeyValue(kind, value)).map((j) => j.id).sort();
    t.same(await ids('delivery', 'DL-1'), ['d1', 'd2'], 'the value in each system; no other value, kind or prefix');
    t.same(
      await ids('delivery', 'A|B'),
      ['d5'],
      'a value with a bar (escaped, domain/business-key.ts): what follows the second bar',
    );
    t.same(await ids('delivery', 'dl-1'), [], 'values match exactly (case too)');
    t.same(await ids('order', 'DL-1'), ['o1'], 'by kind');
  });
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: keys of a value with a mark after it, in any system (v66)`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const delivery = (id: string, key: string) => newJob(id, { flow: 'delivery', idempotencyKey: key });
      await store.recordWrite(delivery('d1', `delivery|${APP}|DL-1|in-progress:2`));
      await store.recordWrite(delivery('d2', `delivery|${APP}|DL-1|in-progress:3`));
      await store.recordWrite(delivery('d3', 'delivery|urn:other:app|DL-1|in-progress'));
      await store.recordWrite(delivery('d4', 'delivery|urn:third:app|DL-1|in-progress:2|dhis2'));
      await store.recordWrite(delivery('d5', `delivery|${APP}|DL-10|in-progress:2`));
      await store.recordWrite(delivery('d6', 'delivery|urn:fourth:app|DL-1'));
      await store.recordWrite(delivery('d7', 'delivery|urn:fifth:app|DL-1|dhis2'));
      await store.recordWrite(newJob('o1', { idempotencyKey: `order|urn:sixth:app|DL-1|in-progress:2` }));

      t.same(
        await store.findKeysOfMarkedValue('delivery', 'DL-1', '|in-progress'),
        [
          'delivery|https://mobile.example.org/deliveries|DL-1',
          'delivery|urn:other:app|DL-1',
          'delivery|urn:third:app|DL-1',
        ],
        "each system's key once, by any draft kept (a copy's too); not another value, an unmarked write or kind",
      );
      t.same(await store.findKeysOfMarkedValue('delivery', 'DL-2', '|in-progress'), [], 'none of a value not written');
    },
  );
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: the marked range of values holding ; | and non-ASCII (v66)`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const delivery = (id: string, key: string) => newJob(id, { flow: 'delivery', idempotencyKey: key });
      await store.recordWrite(delivery('u1', `delivery|${APP}|Ü-1|in-progress:2`));
      await store.recordWrite(delivery('u2', 'delivery|urn:other:app|Ü-1|in-progress'));
      await store.recordWrite(delivery('u3', `delivery|${APP}|Ü-1;|in-progress`));
      await store.recordWrite(delivery('u4', `delivery|${APP}|Ü-1|in-progressé`));
      await store.recordWrite(delivery('u5', `delivery|${APP}|Ü-1é|in-progress`));
      await store.recordWrite(delivery('s1', `delivery|${APP}|A;B%7CC|in-progress:3`));
      await store.recordWrite(delivery('s2', `delivery|${APP}|A;B|in-progress`));
      await store.recordWrite(delivery('s3', `delivery|${APP}|A;B%7CC;|in-progress`));

      const keys = (value: string) => store.findKeysOfMarkedValue('delivery', value, '|in-progress');
      t.same(
        await keys('Ü-1'),
        [`delivery|${APP}|Ü-1`, 'delivery|urn:other:app|Ü-1'],
        'a non-ASCII value: its drafts in each system; not a value it begins (Ü-1;, Ü-1é) nor a byte above ; after the mark',
      );
      t.same(await keys('A;B|C'), [`delivery|${APP}|A;B%7CC`], 'a value holding ; and |: its own drafts only');
      t.same(await keys('A;B'), [`delivery|${APP}|A;B`], 'the value before its bar: its own draft only');
    },
  );
}

t.test('SQLite: the marked range searches the key-value index', async (t) => {
  const plan = await sqlitePlanner(t);
  const sql = keysOfMarkedValueSql('sqlite').replace(/\$\d+/g, '?');
  const steps = plan(sql, ...keysOfMarkedValueArgs('delivery', 'DL-1', '|in-progress'));
  t.ok(
    steps.some((d) => /SEARCH outbox_jobs USING INDEX outbox_jobs_key_value \(<expr>>\? AND <expr><\?\)/.test(d)),
    steps.join('\n'),
  );
});

t.test('SQLite: the lookup searches the key-value index', async (t) => {
  const plan = await sqlitePlanner(t);
  const sql = jobsByKeyValueSql('sqlite', 'id').replace(/\$\d+/g, '?');
  const steps = plan(sql, ...jobsByKeyValueArgs('delivery', 'DL-1'));
  t.ok(
    steps.some((d) => /SEARCH outbox_jobs USING INDEX outbox_jobs_key_value \(<expr>=\?\)/.test(d)),
    steps.join('\n'),
  );
});

const pgCase = engineCases().find((e) => e.name === 'postgres')!;
t.test('PostgreSQL: the lookup can be read from the key-value index', { skip: pgCase.skip }, async (t) => {
  const { databaseUrl } = await freshStore(pgCase, t);
  const [value, length, prefix] = jobsByKeyValueArgs('delivery', 'DL-1');
  const sql = jobsByKeyValueSql('postgres', 'id')
    .replace('$1', `'${value}'`)
    .replace('$2', String(length))
    .replace('$3', `'${prefix}'`);
  t.match(await queryPlan(databaseUrl, sql), /outbox_jobs_key_value/);
});

t.test('PostgreSQL: the marked range can be read from the byte-order index (v66)', { skip: pgCase.skip }, async (t) => {
  const { databaseUrl } = await freshStore(pgCase, t);
  const [from, below, length, prefix] = keysOfMarkedValueArgs('delivery', 'DL-1', '|in-progress');
  const sql = keysOfMarkedValueSql('postgres')
    .replace('$1', `'${from}'`)
    .replace('$2', `'${below}'`)
    .replace('$3', String(length))
    .replace('$4', `'${prefix}'`);
  t.match(await queryPlan(databaseUrl, sql), /outbox_jobs_key_value_bytes/);
});
