import t from 'tap';
import { decodeOrderable } from '../../../../src/systems/openlmis/reference-data.js';
import { collectPages } from '../../../../src/systems/openlmis/paging.js';
import { reasonOf } from '../../../../src/systems/openlmis/errors.js';
import { fixturesPresent, readExample } from '../../sandbox/openlmis/schemas.js';

/**
 * Contract tier for the client layer: the upstream's own page and array answers go through the
 * pager, and its orderables decode keeping what units and products need (netContent, rounding,
 * version, trade item, programs) despite the nulls real servers send.
 */
if (!fixturesPresent) {
  t.comment('contract tier skipped: ../shared/fixtures not found');
} else {
  t.test('example pages and bare arrays are collected whole', async (t) => {
    const page = readExample('referencedata/GET-api-facilities.page.response.json');
    t.equal((await collectPages(async () => page, 1000, '/api/facilities')).length, page.content.length);
    const programs = readExample('referencedata/GET-api-programs.response.json');
    t.ok(Array.isArray(programs));
    t.equal(
      (await collectPages(async () => programs, 10, '/api/programs')).length,
      programs.length,
      'a bare array ends paging',
    );
  });

  t.test('example orderables decode without losing unit or identity fields', async (t) => {
    const page = readExample('referencedata/GET-api-orderables.page.response.json');
    for (const o of page.content) {
      const d = decodeOrderable(o);
      t.equal(d.id, o.id);
      t.equal(d.productCode, o.productCode);
      t.equal(d.netContent, o.netContent);
      t.equal(d.packRoundingThreshold, o.packRoundingThreshold);
      t.equal(d.roundToZero, o.roundToZero);
      t.equal(d.versionNumber, Number(o.meta.versionNumber));
      t.equal(d.tradeItemId, o.identifiers?.tradeItem ?? undefined);
      t.same(
        d.programIds,
        o.programs.map((p: any) => p.programId),
      );
    }
  });

  t.test('the four upstream error shapes yield a reason', async (t) => {
    t.same(reasonOf({ messageKey: 'a.b', message: 'Nope' }), { messageKey: 'a.b', message: 'Nope' });
    t.same(reasonOf({ requisitionLineItems: { messageKey: 'requisition.error.x', message: 'bad line' } }), {
      messageKey: 'requisition.error.x',
      message: 'requisitionLineItems: bad line',
    });
    t.same(reasonOf({ timestamp: 'x', status: 500, error: 'Internal Server Error', message: 'boom', path: '/api/x' }), {
      messageKey: 'Internal Server Error',
      message: 'boom',
    });
    t.same(
      reasonOf({ error: 'invalid_token', error_description: 'c0ffee-token' }),
      { messageKey: 'invalid_token', message: undefined },
      'the echoed token is dropped',
    );
  });
}
