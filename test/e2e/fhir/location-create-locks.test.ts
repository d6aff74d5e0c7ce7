/**
 * A Location create takes the write locks of what it creates (interactions.createdLocks): its id
 * and its identifiers. It also took the lock of its "group", decoded as an update's, whose id is
 * the body's: a POSTed body has none, so every Location create, alone or in a transaction, took
 * one lock, `Location@Location/undefined`, and waited for the create before it, upstream delivery
 * included (up to outbox.deadlineMs each; past 30 s of waiting, a 409). Through the DHIS2 sandbox,
 * on both store engines (on PostgreSQL the lock is an advisory lock, shared by every instance).
 */
import t from 'tap';
import { mfrLocation, startDhis2RigOn } from '../../support/dhis2-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

for (const engine of engineCases())
  t.test(
    `a Location create does not wait for another one's delivery (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { facilities: { default: 'dhis2' } });
      const found = await rig.fhir('GET', '/fhir/Location?_count=1');
      const region = `Location/${found.body.entry[0].resource.id}`;
      // DHIS2 holds the first org unit's create until the other Location is answered
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      t.teardown(() => release());
      rig.dhis2.faults.add({
        method: 'POST',
        path: '/api/organisationUnits',
        times: 1,
        action: { type: 'held', released },
      });
      const slow = rig.fhir('POST', '/fhir/Location', mfrLocation('MFR-L1', 'Samfya Health Post', region));
      while (rig.dhis2.state.count('POST', '/api/organisationUnits') === 0) await new Promise((r) => setTimeout(r, 20));

      // answered while the first create is still held: a create waiting for it would not be a 201
      const other = await rig.fhir('POST', '/fhir/Location', mfrLocation('MFR-L2', 'Mansa Clinic', region));
      t.equal(other.status, 201, JSON.stringify(other.body).slice(0, 300));
      release();
      t.equal((await slow).status, 201, 'the slow create is answered too');
    },
  );
