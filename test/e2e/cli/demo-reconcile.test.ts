/**
 * The demo reconciles each sandbox's facilities with the registry sandbox once at start, so a
 * registry change a demo user makes reaches the systems: before, the crosswalk stayed empty until
 * the weekly reconcile, and every change the propagate job pulled was held "this system was never
 * reconciled against the registry". Through the demo as an implementer runs it, with the commands
 * it prints: the rename in the registry sandbox, the propagate run, the renamed OpenLMIS facility.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startDemo } from '../../support/demo-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('demo: reconciled at start, a registry rename reaches OpenLMIS', { timeout: 240_000 }, async (t) => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'x-demo-reconcile-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const demo = await startDemo(cwd);
  t.teardown(async () => {
    if (demo.child.exitCode === null) await demo.stop();
  });
  const out = demo.output();
  t.match(
    out,
    /crosswalk\s+reconciled with the registry at start: .*openlmis \d+ auto/,
    'the banner says the demo reconciled, per system',
  );

  const rename = /curl -s -X POST (\S+\/_sandbox\/locations\/LK-HC-101\/rename) .* -d '(.+)'$/m.exec(out);
  const propagate = /curl -s -X POST -H 'Authorization: (Bearer \S+)' (\S+\/admin\/jobs\/propagate\/run)$/m.exec(out);
  t.ok(rename && propagate, 'the banner prints the rename and the propagate run');
  const name = (JSON.parse(rename![2]) as { name: string }).name;
  const renamed = await fetch(rename![1], {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: rename![2],
  });
  t.equal(renamed.status, 200, await renamed.text());
  const run = await fetch(propagate![2], { method: 'POST', headers: { authorization: propagate![1] } });
  const ran = (await run.json()) as { run: { outcome: string; counts: Record<string, number> } };
  t.equal(ran.run.outcome, 'ok', JSON.stringify(ran));

  // delivered through the outbox: the facility OpenLMIS serves (read live) takes the new name
  const deadline = Date.now() + 60_000;
  let seen = '';
  while (Date.now() < deadline) {
    const res = await demo.fhir('GET', `/fhir/Location/${demo.facilityId}`);
    seen = ((await res.json()) as { name?: string }).name ?? '';
    if (seen === name) break;
    await sleep(200);
  }
  t.equal(seen, name, 'the OpenLMIS facility is renamed, not held as never reconciled');
});
