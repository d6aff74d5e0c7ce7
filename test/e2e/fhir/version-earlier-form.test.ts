/**
 * Session 39 (issue 18) changed the form of meta.versionId: the hash of the answer's own JSON
 * text without meta (src/fhir/version-id.ts), where it was the hash of a canonical text. What a
 * client holds must keep working: a read after a write answers the tag the write answered, and a
 * tag of the earlier form on content that has not changed since is still that content's version
 * for If-Match, If-None-Match and vread, on either base, until the content changes. Through the
 * real mediator and the OpenLMIS sandbox, both store engines.
 */
import t from 'tap';
import { contentVersionWithout } from '../../../src/domain/ids.js';
import { engineCases } from '../../support/outbox-engines.js';
import { orderLine, startRigOn, why } from '../../support/openlmis-e2e.js';

/** The ETag's version: W/"v" → v. */
const versionOf = (etag: string | null) => String(etag).replace(/^W\/"|"$/g, '');

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a read answers the tag its write answered; a tag of the earlier form still names unchanged content`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const facilityId = rig.lmis.seed.facilities['LK-HC-102'];
      const line = orderLine({ order: 'XFORM-1', facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 10 });

      const posted = await rig.fhir('POST', '/fhir/SupplyRequest', line);
      t.equal(posted.status, 201, why(posted));
      const id = posted.body.id;
      const tag = versionOf(posted.headers.get('etag'));
      t.match(tag, /^[0-9a-f]{20}$/, 'the new form');
      t.equal(posted.body.meta.versionId, tag);
      const read = await rig.fhir('GET', `/fhir/SupplyRequest/${id}`);
      t.equal(read.status, 200, why(read));
      t.equal(versionOf(read.headers.get('etag')), tag, 'the read answers the tag the create answered');
      t.equal(read.body.meta.versionId, tag);
      const r5 = await rig.fhir('GET', `/fhir/R5/SupplyRequest/${id}`);
      t.equal(versionOf(r5.headers.get('etag')), tag, 'and so does R5');

      const put = await rig.fhir('PUT', `/fhir/SupplyRequest/${id}`, { ...line, id });
      t.equal(put.status, 200, why(put));
      t.equal(versionOf(put.headers.get('etag')), tag, 'a PUT of the same content: the same version');

      // the tag served before session 39: the canonical text's hash of the R4 rendering
      const earlier = contentVersionWithout(read.body, 'meta');
      t.match(earlier, /^[0-9a-f]{16}$/);
      for (const base of ['/fhir', '/fhir/R5']) {
        const vread = await rig.fhir('GET', `${base}/SupplyRequest/${id}/_history/${earlier}`);
        t.equal(vread.status, 200, `${base} vread of the earlier tag: ${why(vread)}`);
        t.equal(versionOf(vread.headers.get('etag')), tag, 'answered with the current tag');
        const cached = await rig.fhir('GET', `${base}/SupplyRequest/${id}`, undefined, {
          'if-none-match': `W/"${earlier}"`,
        });
        t.equal(cached.status, 304, `${base} If-None-Match with the earlier tag: not modified`);
        const cachedVread = await rig.fhir('GET', `${base}/SupplyRequest/${id}/_history/${earlier}`, undefined, {
          'if-none-match': `W/"${earlier}"`,
        });
        t.equal(cachedVread.status, 304, `${base} a conditional vread of the earlier tag: not modified`);
      }
      const excluded = await rig.fhir(
        'PUT',
        `/fhir/SupplyRequest/${id}`,
        { ...line, id },
        {
          'if-none-match': `W/"${earlier}"`,
        },
      );
      t.equal(excluded.status, 412, `If-None-Match with the earlier tag excludes the version: ${why(excluded)}`);

      const changed = { ...r5.body, quantity: { ...r5.body.quantity, value: 20 } };
      delete changed.meta;
      const guarded = await rig.fhir('PUT', `/fhir/R5/SupplyRequest/${id}`, changed, { 'if-match': `W/"${earlier}"` });
      t.equal(guarded.status, 200, `If-Match with the earlier tag of unchanged content: ${why(guarded)}`);
      t.equal(guarded.body?.quantity?.value, 20);
      const after = await rig.fhir('GET', `/fhir/SupplyRequest/${id}`);
      t.equal(versionOf(after.headers.get('etag')), versionOf(guarded.headers.get('etag')), 'read after the update');
      t.not(versionOf(after.headers.get('etag')), tag, 'the change is a new version');

      const stale = await rig.fhir(
        'PUT',
        `/fhir/SupplyRequest/${id}`,
        { ...line, id, quantity: { ...line.quantity, value: 30 } },
        { 'if-match': `W/"${earlier}"` },
      );
      t.equal(stale.status, 412, `the earlier tag of changed content is stale: ${why(stale)}`);
      const gone = await rig.fhir('GET', `/fhir/SupplyRequest/${id}/_history/${earlier}`);
      t.equal(gone.status, 410, `and no longer a version to read: ${why(gone)}`);
      const staleNew = await rig.fhir('GET', `/fhir/SupplyRequest/${id}/_history/${tag}`);
      t.equal(staleNew.status, 410, 'nor is the first new-form tag');
    },
  );
}
