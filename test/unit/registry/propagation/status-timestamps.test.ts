/**
 * Where a registry change stands is given with its instant in ISO 8601 UTC, as a job's instants
 * are: `GET /admin/propagation`, `cli propagation --json` and its text, and the console's
 * changes table reading the admin API's answer. It once gave `updatedAt` in epoch milliseconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import Fastify from 'fastify';
import { propagationRoutes } from '../../../../src/registry/propagation/routes.js';
import type { Propagator } from '../../../../src/registry/propagation/propagator.js';
import { propagationBody } from '../../../../src/admin/ui/propagation-page.js';
import { openStore } from '../../../../src/store/index.js';
import { runPropagationCli } from '../../../support/propagation-cli.js';

const TOKEN = 'propagation-token';
const CHANGED = Date.UTC(2026, 11, 4, 9, 30, 0, 250);
const CHANGED_ISO = '2026-12-04T09:30:00.250Z';

const cli = runPropagationCli;

t.test('a change stands at an ISO 8601 instant on every operator surface', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'propagation-iso-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore({ dataDir: dir });
  await store.putPropagation({
    registryId: 'R-1',
    version: '4',
    system: 'dhis2',
    action: 'update',
    state: 'held',
    reason: 'in the review queue',
    updatedAt: CHANGED,
  });

  const app = Fastify();
  await app.register(propagationRoutes, {
    prefix: '/admin',
    store,
    propagator: {} as Propagator,
    adminToken: TOKEN,
  });
  t.teardown(() => app.close());
  const answer = (
    await app.inject({ method: 'GET', url: '/admin/propagation', headers: { authorization: `Bearer ${TOKEN}` } })
  ).json();
  t.equal(answer.items[0].updatedAt, CHANGED_ISO, 'the admin API: ISO 8601 UTC');

  // the console's changes table renders the admin API's answer as it comes
  const page = propagationBody({
    counts: answer.counts,
    items: answer.items,
    filters: { limit: 100, offset: 0 },
    total: 1,
    jobs: new Map(),
    notices: [],
    session: { csrf: 'c' } as never,
    now: CHANGED + 3 * 60_000,
  }).value;
  t.match(page, `<time datetime="${CHANGED_ISO}">2026-12-04 09:30</time>`, 'the console: when, in UTC');
  t.match(page, /3 min ago/, 'and how long ago, from the API instant');
  await store.close();

  const json = JSON.parse(await cli(dir, ['--json']));
  t.equal(json.items[0].updatedAt, CHANGED_ISO, '`cli propagation --json` alike');
  t.match(await cli(dir, []), new RegExp(`^  ${CHANGED_ISO.replace(/\./g, '\\.')}\\s+dhis2\\s+held`, 'm'), 'its text');
});
