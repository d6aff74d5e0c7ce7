/**
 * /metrics while the mediator's database is away, through the real mediator on a PostgreSQL server
 * of the test's own (stopped, then started again): the scrape still answers 200 with the metrics
 * that need no store (requests, upstream calls, process), leaves out the store-derived gauges
 * (outbox depth and age, OpenHIM updates) and says `mediator_store_up 0`. It answered 503, so
 * Prometheus lost every metric exactly during a store outage. Once the database is back, the
 * store-derived gauges return and `mediator_store_up` is 1.
 */
import { execSync } from 'node:child_process';
import t from 'tap';
import { RIG_AUTH, startRig } from '../../support/openlmis-e2e.js';
import { ownPgServer, PG_SKIP } from '../outbox/pg-outage-rig.js';

const STORE_DERIVED = [
  /^mediator_outbox_jobs\{/m,
  /^mediator_outbox_oldest_waiting_age_seconds /m,
  /^mediator_openhim_transaction_updates\{/m,
  /^mediator_openhim_transaction_update_oldest_owed_age_seconds /m,
];

t.test(
  'postgres stopped: /metrics still answers, store-derived gauges left out',
  { skip: PG_SKIP, timeout: 180_000 },
  async (t) => {
    const server = ownPgServer();
    t.teardown(() => execSync(server.stop, { stdio: 'ignore' }));
    const rig = await startRig({ DATABASE_URL: server.url });
    let down = false;
    t.teardown(async () => {
      if (down) execSync(server.up, { stdio: 'ignore' });
      await rig.close();
    });
    const scrape = async () => {
      const res = await fetch(`${rig.mediator.url}/metrics`, { headers: { authorization: RIG_AUTH } });
      return { status: res.status, text: await res.text() };
    };

    const before = await scrape();
    t.equal(before.status, 200, before.text);
    for (const re of STORE_DERIVED) t.match(before.text, re, `up: ${re.source}`);
    t.match(before.text, /^mediator_store_up 1$/m);

    execSync(server.down, { stdio: 'ignore' });
    down = true;
    // the OpenHIM gauges share one read for a second (both gauges of a scrape): scrape until it aged
    let away = await scrape();
    const awayBy = Date.now() + 30_000;
    while (STORE_DERIVED.some((re) => re.test(away.text)) && away.status === 200 && Date.now() < awayBy) {
      t.match(away.text, /^mediator_store_up 0$/m, 'every scrape while away says the store is down');
      await new Promise((r) => setTimeout(r, 250));
      away = await scrape();
    }
    t.equal(away.status, 200, `the scrape is answered: ${away.text.slice(0, 300)}`);
    t.match(away.text, /^mediator_store_up 0$/m, 'the store is marked down');
    for (const re of STORE_DERIVED) t.notMatch(away.text, re, `left out, not 0: ${re.source}`);
    t.match(
      away.text,
      /^mediator_http_requests_total\{method="GET",route="\/metrics",status="200"\} \d+$/m,
      'requests',
    );
    t.match(away.text, /^process_cpu_seconds_total /m, 'process metrics');
    t.match(away.text, /^# TYPE mediator_outbox_attempts_total counter$/m, 'counters kept in the process');

    execSync(server.up, { stdio: 'ignore' });
    down = false;
    // the pool reconnects on its next query: wait for it, with a generous deadline
    const deadline = Date.now() + 60_000;
    let back = await scrape();
    while (!/^mediator_store_up 1$/m.test(back.text) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      back = await scrape();
    }
    t.equal(back.status, 200);
    t.match(back.text, /^mediator_store_up 1$/m, 'back once the database is');
    for (const re of STORE_DERIVED) t.match(back.text, re, `back: ${re.source}`);
  },
);
