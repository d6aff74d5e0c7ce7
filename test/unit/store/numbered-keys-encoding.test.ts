/**
 * A delivery's drafts under an identifier with non-ASCII characters, on a PostgreSQL database
 * whose encoding is SQL_ASCII (an old cluster's default; PostgreSQL then counts text in bytes).
 * A key in the drafts' range counts as a draft only when nothing after its number's position holds
 * a bar (a secondary target's `key:n|system` is no draft, store/numbered-keys.ts); that position
 * was bound in characters as JavaScript counts them, while substr counted bytes: the tail read
 * began inside the key, at its `|in-progress`, and no draft past the first counted. Every new
 * draft took number 2 again (held: refused for ever) and the newest read was draft 1. Now the
 * position is the key's length as the database itself counts it.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import pg from 'pg';
import { draftMark } from '../../../src/routing/delivery-drafts.js';
import { openStore } from '../../../src/store/index.js';

const BASE = process.env.TEST_DATABASE_URL;
// 18 Cyrillic letters: 18 bytes more than characters, past the 12 of `|in-progress`
const KEY = 'delivery|https://app.example.org/deliveries|ДОСТАВКА-ПОСТАВКА-ЯЯ-1';

t.test(
  'drafts under a non-ASCII identifier on a SQL_ASCII database',
  { skip: BASE ? undefined : 'TEST_DATABASE_URL is not set (scripts/pg-test-server.sh)' },
  async (t) => {
    const name = `outbox_ascii_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const admin = new pg.Client({ connectionString: BASE });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
    t.teardown(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    });
    const url = new URL(BASE!);
    url.pathname = `/${name}`;
    const store = await openStore({ databaseUrl: url.toString() });
    t.teardown(() => store.close());

    for (let n = 1; n <= 3; n++) {
      const [r] = await store.recordWrites(
        [
          {
            id: `d-${n}`,
            flow: 'delivery',
            system: 'openlmis',
            idempotencyKey: KEY + draftMark(n),
            payloadHash: `hash-${n}`,
            payload: { status: 'in-progress', draft: n },
            status: 'pending',
            attempts: 0,
            nextAttemptAt: 1_000 * n,
            createdAt: 1_000 * n,
          },
        ],
        [],
      );
      t.ok(r.created, `draft ${n} recorded`);
    }
    const found = await store.findNumberedJobs(KEY + draftMark(1));
    t.same({ newest: found?.newest?.id, highest: found?.highest }, { newest: 'd-3', highest: 3 }, 'draft 3, of 3');
  },
);
