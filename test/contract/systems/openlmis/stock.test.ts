import t from 'tap';
import { createStockCapability } from '../../../../src/systems/openlmis/stock/stock.js';
import { stockCards } from '../../../../src/systems/openlmis/stock/stock-summaries.js';
import { FACILITY_CODE_SYSTEM } from '../../../../src/systems/openlmis/identifiers.js';
import type { LmisClient } from '../../../../src/systems/openlmis/types.js';
import { amnesiacJournal, gtinOf, startDepsHarness } from '../../../unit/systems/openlmis/stock-harness.js';
import { fixturesPresent, loadSchemas, readExample } from '../../sandbox/openlmis/schemas.js';
import { spyClient, wire } from './spy.js';

/**
 * Contract tier for the stock flow: every stock event body validates against stockmanagement's
 * stockEventDto.json (UUID API) or stockEventExternalDto.json (public code API), with only the
 * documented deviations of test/contract/sandbox/openlmis/schemas.ts (NULLS, DRAFT03_REQUIRED, MISSING_REFS);
 * the v2 summaries example decodes keeping orderable, lot, stock on hand and dates.
 */
if (!fixturesPresent) {
  t.comment('contract tier skipped: ../shared/fixtures not found');
} else {
  const { validator } = loadSchemas();
  const hc101 = { identifier: { system: FACILITY_CODE_SYSTEM, value: 'LK-HC-101' } };
  const today = new Date().toISOString();

  for (const api of ['uuid', 'code'] as const) {
    t.test(`stock event bodies (${api} API) validate against the upstream schema`, async (t) => {
      const h = await startDepsHarness({ stockApi: api });
      t.teardown(h.close);
      const { client, sent } = spyClient(h.client);
      const stock = createStockCapability({ ...h.deps, client });
      await stock.report(
        {
          status: 'active',
          countType: 'difference',
          reportedAt: today,
          facility: hc101,
          program: 'FP01',
          lines: [
            {
              product: gtinOf('FP-LNG30'),
              quantity: { value: -3, unit: 'dispensing-unit' },
              reason: { code: 'Damage' },
              lot: { number: 'LNG-2301' },
            },
          ],
        },
        amnesiacJournal('diff'),
      );
      await stock.report(
        {
          status: 'active',
          countType: 'snapshot',
          reportedAt: today,
          facility: hc101,
          program: 'FP01',
          lines: [
            { product: gtinOf('FP-LNG30'), quantity: { value: 100, unit: 'dispensing-unit' } },
            {
              product: gtinOf('FP-LNG30'),
              quantity: { value: 50, unit: 'dispensing-unit' },
              lot: { number: 'LNG-2301' },
            },
            { product: gtinOf('FP-CNDM'), quantity: { value: 1000, unit: 'dispensing-unit' } },
          ],
        },
        amnesiacJournal('count'),
      );
      const posts = sent.filter((r) => r.method === 'POST' && /stockEvents$/.test(r.path));
      t.equal(posts.length, 2);
      const validate = validator(
        'stockmanagement',
        api === 'uuid' ? 'stockEventDto.json' : 'stockEventExternalDto.json',
      );
      for (const p of posts) t.ok(validate(wire(p.body)), `${p.path}: ${JSON.stringify(validate.errors)}`);
      t.notOk(
        JSON.stringify(posts.map((p) => wire(p.body))).includes('"active"'),
        'StockEventDto.isActive (exposed as active) is never sent (reference §7)',
      );
    });
  }

  t.test('example v2 stock card summaries decode with orderable, lot, stock on hand, dates', async (t) => {
    const page = readExample('stockmanagement/GET-api-v2-stockCardSummaries.response.json');
    const fake = { all: async () => page.content } as unknown as LmisClient;
    const cards = await stockCards(fake, 'f', 'p');
    const expected = page.content.flatMap((s: any) => s.canFulfillForMe.map((e: any) => ({ s, e })));
    t.equal(cards.length, expected.length);
    expected.forEach(({ s, e }: any, i: number) => {
      t.match(cards[i], {
        stockCardId: e.stockCard.id,
        orderableId: e.orderable.id,
        orderableVersion: e.orderable.versionNumber ?? s.orderable.versionNumber,
        stockOnHand: e.stockOnHand,
        occurredDate: e.occurredDate,
      });
      t.equal(cards[i].lotId, e.lot?.id ?? undefined, 'lot kept (or none)');
    });
  });
}
