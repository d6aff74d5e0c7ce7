/**
 * A decision on a record its system no longer lists. The data manager reconciles the EMR's list
 * with `reconcile --store`, the EMR then drops two facilities and the next run retires their rows
 * ("record no longer in the list"); a script deciding from the first run's review.csv accepts one
 * of them. Before, the accept was taken (200): the crosswalk linked a registry facility to a record
 * that is not there, holding that facility against every other record, and registry changes
 * planned over the link would be written to nothing. Now an accept or a flag of a retired row is a
 * 409 naming the run that retired it, nothing changed; a no-match or an ignore (which link nothing)
 * is still taken, and once the record is listed again the next run re-scores it and it can be
 * accepted. The same from the registry's side: a candidate the registry list has since dropped
 * was linked (200) to an id nothing names; now a 409, while another candidate is still taken.
 * Real CLI runs and a real mediator process over HTTP, both store engines.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test as Tap } from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { startMediatorProcess } from '../../support/mediator-process.js';
import { reconcileCli } from '../../support/reconcile-cli.js';

const TOKEN = 'retired-record-admin-token';

const REGISTRY = [
  'id,name,county',
  'R1,Kaumu Dispensary,Kitui',
  'R2,Kasikeu Health Centre,Makueni',
  'R3,Mutomo Hospital,Kitui',
  'R5,Ikutha Dispensary,Kitui',
  'R6,Kyuso Health Centre,Mwingi',
].join('\n');
const EMR = ['id,name,county', 'L1,Kaumu Dispensary,Kitui', 'L2,Kasikeu Health Centre,Makueni'];
const DROPPED = ['L4,Ikutha Dispensary,Kitui', 'L5,Kyuso Dispensary,Kitui'];

/** `reconcile --store` of `emr` in its own process; its stored-run summary. */
async function storeRun(t: Tap, left: string, registry: string, databaseUrl: string) {
  const out = path.join(path.dirname(left), 'out');
  const args = ['--left', left, '--right', registry, '--out', out, '--system', 'emr', '--store'];
  const r = await reconcileCli(args, { DATABASE_URL: databaseUrl });
  t.equal(r.code, 0, `reconcile --store ran (${r.stderr.trim()})`);
  return (JSON.parse(r.stdout) as { store: { retired: number } }).store;
}

/** A mediator serving the review API on that database, and amina's calls to it for `emr`. */
async function reviewServer(t: Tap, name: string, databaseUrl: string, registry: string) {
  const mediator = await startMediatorProcess(name, {
    DATABASE_URL: databaseUrl,
    ADMIN_TOKEN: TOKEN,
    REGISTRY_FILE: registry,
    SCHEDULE_RECONCILE: 'off',
  });
  t.teardown(() => mediator.close());
  return async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${mediator.base}/admin/reconcile/emr${url}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'x-actor': 'amina' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
}

/** A 409 OperationOutcome saying why, as a data manager's script reads it. */
function refused(t: Tap, answer: { status: number; body: unknown }, why: RegExp, what: string): void {
  t.equal(answer.status, 409, what);
  t.match(answer.body, { resourceType: 'OperationOutcome', issue: [{ code: 'conflict', diagnostics: why }] }, what);
}

for (const engine of engineCases())
  t.test(`${engine.name}: a record no longer listed is not linked by a review`, { skip: engine.skip }, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'review-retired-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const registry = path.join(dir, 'registry.csv');
    const emr = path.join(dir, 'emr.csv');
    writeFileSync(registry, `${REGISTRY}\n`);
    const reconcile = async (lines: string[]) => {
      writeFileSync(emr, `${lines.join('\n')}\n`);
      return storeRun(t, emr, registry, db.databaseUrl);
    };
    await reconcile([...EMR, ...DROPPED]);
    t.equal((await reconcile(EMR)).retired, 2, 'the second run retires the two rows the list dropped');

    const api = await reviewServer(t, 'review-retired', db.databaseUrl, registry);
    const rowOf = async (id: string) =>
      ((await api('GET', '/crosswalk')).body.rows as { systemId: string }[]).find((r) => r.systemId === id);

    const before = await rowOf('L5');
    t.match(before, { state: 'no-match', comment: 'record no longer in the list' });
    const accepted = await api('POST', '/L5/accept', { registryId: 'R6' });
    refused(
      t,
      accepted,
      /^emr\/L5 is no longer in emr's facility list \(the reconcile run at .+ retired it\): there is no record to link; nothing was decided$/,
      'an accept of a retired record is refused',
    );
    const flagged = await api('POST', '/L4/flag', { comment: 'is this Ikutha?' });
    t.equal(flagged.status, 409, 'a flag of one too');
    t.same(await rowOf('L5'), before, 'the row is as the run left it');
    t.equal((await api('POST', '/L4/ignore')).status, 200, 'an ignore links nothing: taken');

    // listed again: the next run re-scores it and a person can link it
    await reconcile([...EMR, DROPPED[1]]);
    t.match(await rowOf('L5'), { decidedBy: 'auto' });
    t.notMatch(await rowOf('L5'), { comment: 'record no longer in the list' });
    const again = await api('POST', '/L5/accept', { registryId: 'R6' });
    t.equal(again.status, 200, 'listed again, it is accepted');
    t.match(again.body, { row: { state: 'manual-match', registryId: 'R6', decidedBy: 'amina' } });
  });

for (const engine of engineCases())
  t.test(`${engine.name}: a candidate the registry dropped is not linked`, { skip: engine.skip }, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'review-dropped-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const registry = path.join(dir, 'registry.csv');
    const emr = path.join(dir, 'emr.csv');
    writeFileSync(registry, `${REGISTRY}\nR4,Mutomo Health Centre,Kitui\n`);
    writeFileSync(emr, 'id,name,county\nL9,Mutomo,Kitui\n');
    await storeRun(t, emr, registry, db.databaseUrl);
    // the registry drops Mutomo Hospital after the run that proposed it
    writeFileSync(registry, `${REGISTRY.replace('R3,Mutomo Hospital,Kitui\n', '')}\nR4,Mutomo Health Centre,Kitui\n`);
    const api = await reviewServer(t, 'review-dropped', db.databaseUrl, registry);
    const queue = await api('GET', '/review');
    const items = queue.body.items as { systemId: string; suggestions: { registryId: string }[] }[];
    t.same(
      items.map((i) => [i.systemId, i.suggestions.map((s) => s.registryId).sort()]),
      [['L9', ['R3', 'R4']]],
      'the run proposed both',
    );
    const dropped = await api('POST', '/L9/accept', { registryId: 'R3' });
    refused(
      t,
      dropped,
      /^registry facility R3, a candidate of emr\/L9, is no longer in the registry's list: .*nothing was decided$/,
      'the dropped candidate is refused',
    );
    // rejecting it is the right answer to a dropped candidate: not refused with it
    const rejected = await api('POST', '/L9/reject', { registryId: 'R3' });
    t.equal(rejected.status, 200, 'the dropped candidate can be rejected');
    t.match(rejected.body, { row: { state: 'review', rejectedRegistryIds: ['R3'] } });
    t.same(
      (rejected.body.row as { suggestions: { registryId: string }[] }).suggestions.map((s) => s.registryId),
      ['R4'],
      'only the candidate still listed is left',
    );
    const other = await api('POST', '/L9/accept', { registryId: 'R4' });
    t.equal(other.status, 200, 'a candidate still listed is linked');
    t.match(other.body, { row: { state: 'manual-match', registryId: 'R4' } });
  });
