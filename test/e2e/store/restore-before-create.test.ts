/**
 * A store restored from a backup taken before a create was accepted (README "Backups, restores and
 * downgrades"): the create's id (a POST's, derived from its order number, or the one an Android
 * FHIR SDK PUT chose) reads as a precise 404 (nothing there knows it), and the client's resend of
 * the same create is accepted once: OpenLMIS already holds the requisition (the look-up by order
 * number finds it), so nothing is made twice, it answers under the same id, and the id reads again.
 * Checked as it is, nothing to fix (a resend made twice or under another id would fail it). SQLite: the online backup the README gives, put back with the WAL deleted;
 * PostgreSQL: pg_dump -Fc, pg_restore into an empty database. OpenLMIS connector and sandbox.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { startMediator, type RunningMediator } from '../../../src/main.js';
import { fhirAt, orderLine, startRigOn, why } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

for (const engine of engineCases())
  t.test(
    `${engine.name}: a create after the backup reads 404, its resend is made once`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, { OUTBOX_DEADLINE_MS: '8000' });
      const first = rig.mediator;
      const databaseUrl = String(first.settings()['store.databaseUrl']);
      const requisitions = () => rig.lmis.sb.state.store.requisitions.size;
      const facilityId = rig.lmis.seed.facilities['LK-HC-101'];
      const order = orderLine({ order: 'RESTORE-1', facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 40 });
      // the Android FHIR SDK's create: a PUT under an id it chose, which no order number derives
      const sdkId = randomUUID();
      const sdkOrder = {
        ...orderLine({
          order: 'RESTORE-2',
          facilityId: rig.lmis.seed.facilities['LK-HC-102'],
          program: 'EM01',
          productCode: 'EM-ORS',
          qty: 30,
        }),
        id: sdkId,
      };

      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restore-backup-'));
      t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
      const backup = path.join(dir, engine.name === 'sqlite' ? 'backup.db' : 'backup.dump');
      if (engine.name === 'sqlite') await onlineBackup(databaseUrl.slice('sqlite:'.length), backup);
      else execFileSync('pg_dump', ['-Fc', '-f', backup, databaseUrl]);
      const before = requisitions();

      const created = await fhirAt(first.url, 'POST', '/fhir/SupplyRequest', order);
      t.equal(created.status, 201, why(created));
      const id = created.body.id as string;
      const sdkCreated = await fhirAt(first.url, 'PUT', `/fhir/SupplyRequest/${sdkId}`, sdkOrder);
      t.equal(sdkCreated.status, 201, why(sdkCreated));
      t.equal(requisitions(), before + 2, 'OpenLMIS holds both requisitions');

      await first.stop();
      first.stop = async () => {}; // the rig's close stops it again: a second end of a pool throws
      const restoredUrl = await restore(t, engine.name, databaseUrl, backup);
      const second: RunningMediator = await startMediator({ ...first.settings(), 'store.databaseUrl': restoredUrl });
      t.teardown(() => second.stop());

      for (const known of [id, sdkId]) {
        const read = await fhirAt(second.url, 'GET', `/fhir/SupplyRequest/${known}`);
        t.equal(read.status, 404, `${known}: nothing in the restored store knows the id`);
        t.match(read.body.issue?.[0], { code: 'not-found', diagnostics: `SupplyRequest/${known} is not known` });
      }

      const resent = await fhirAt(second.url, 'POST', '/fhir/SupplyRequest', order);
      t.ok([200, 201].includes(resent.status), why(resent));
      t.equal(resent.body.id, id, 'the resend is answered under the same id');
      const sdkResent = await fhirAt(second.url, 'PUT', `/fhir/SupplyRequest/${sdkId}`, sdkOrder);
      t.ok([200, 201].includes(sdkResent.status), why(sdkResent));
      t.equal(sdkResent.body.id, sdkId, "the SDK's resend is answered under the id it chose");
      t.equal(requisitions(), before + 2, 'nothing made twice in OpenLMIS');
      for (const [known, qty] of [
        [id, 40],
        [sdkId, 30],
      ] as const) {
        const again = await fhirAt(second.url, 'GET', `/fhir/SupplyRequest/${known}`);
        t.equal(again.status, 200, why(again));
        t.equal(again.body.quantity.value, qty, `${known} reads again`);
      }
    },
  );

/** The backup put back as the README says; the database URL to start on. */
async function restore(
  t: { teardown(fn: () => unknown): void },
  engine: string,
  databaseUrl: string,
  backup: string,
): Promise<string> {
  if (engine === 'sqlite') {
    const file = databaseUrl.slice('sqlite:'.length);
    fs.copyFileSync(backup, file);
    fs.rmSync(`${file}-wal`, { force: true });
    fs.rmSync(`${file}-shm`, { force: true });
    return databaseUrl;
  }
  const empty = await engineCases()[1].freshDatabase();
  t.teardown(empty.drop);
  execFileSync('pg_restore', ['--no-owner', '-d', empty.databaseUrl, backup]);
  return empty.databaseUrl;
}

/** SQLite's online backup, as the README gives it, beside the running mediator. */
async function onlineBackup(file: string, backup: string): Promise<void> {
  const db = new Database(file);
  try {
    await db.backup(backup);
  } finally {
    db.close();
  }
}
