/**
 * The delivery flow's view of a queued write and its test of a resend (routing/flows.ts DELIVERIES):
 * an R4 write carries no delivery id and its lines carry ids R5 does not, so its queued view read
 * on R5 with none, and an R5 resend of it was another payload (409). The view names it; a resend
 * that carries no line ids is compared without them, and nothing else is left out.
 */
import t from 'tap';
import { canonicalJson } from '../../../src/domain/ids.js';
import type { Delivery, DeliveryLine } from '../../../src/domain/delivery.js';
import { DELIVERIES } from '../../../src/routing/flows.js';

const GTIN = 'https://www.gs1.org/gtin';
const packs = (value: number) => ({ value, unit: 'pack' as const });
const line = (lineId: string | undefined, code = '10860012300072', accepted = 2): DeliveryLine =>
  ({
    ...(lineId ? { lineId } : {}),
    product: { system: GTIN, code },
    quantityShipped: packs(2),
    quantityAccepted: packs(accepted),
  }) as DeliveryLine;
const delivery = (id: string | undefined, lines: DeliveryLine[]): Delivery =>
  ({
    ...(id ? { id } : {}),
    identifier: { system: 'https://mobile.example.org/deliveries', value: 'DL-7' },
    status: 'completed',
    destination: { id: 'loc-1' },
    lines,
  }) as Delivery;

/** acceptAsHeld's test: what sameWriteOf keeps of the held write and of the one sent is equal. */
const same = (held: Delivery, sent: Delivery) =>
  canonicalJson(DELIVERIES.sameWriteOf!(held, sent)) === canonicalJson(DELIVERIES.sameWriteOf!(sent, sent));

t.test('an R4 write queued reads with an id for R5', async (t) => {
  const r4 = delivery(undefined, [line('line-a'), line('line-b', '10860012300058')]);
  t.equal(DELIVERIES.pendingView(r4, 'pending').id, 'line-a', 'its first line id: the id its write came under');
  t.equal(DELIVERIES.pendingView(r4, 'pending').status, 'in-progress');
  t.equal(DELIVERIES.pendingView(r4, 'dead').status, 'entered-in-error');
  t.equal(
    DELIVERIES.pendingView(delivery('r5-id', [line(undefined)]), 'pending').id,
    'r5-id',
    'an id of its own is kept',
  );
  t.same(r4.id, undefined, 'the written value is not changed');
});

t.test('an R5 resend of an R4 write is the same write, whatever ids R4 lines had', async (t) => {
  for (const ids of [
    ['derived-a', 'derived-b'],
    ['3f0c9a52-6d1e-4c8b-9a47-0e5b2d7c1f36', '9b1e0c44-2a7d-4f3e-8c61-5d2a9e7b0f18'],
  ]) {
    const held = delivery(undefined, [line(ids[0]), line(ids[1], '10860012300058')]);
    const r5 = delivery('r5-id', [line(undefined), line(undefined, '10860012300058')]);
    t.ok(same(held, r5), `R4 line ids ${ids.join(', ')}`);
  }
});

t.test('a different confirmation stays another write', async (t) => {
  const held = delivery(undefined, [line('line-a'), line('line-b', '10860012300058')]);
  const cases: [string, Delivery][] = [
    ['another quantity', delivery('r5', [line(undefined, undefined, 1), line(undefined, '10860012300058')])],
    ['another item', delivery('r5', [line(undefined), line(undefined, '10860012300065')])],
    ['a line less', delivery('r5', [line(undefined)])],
    [
      'a line more',
      delivery('r5', [line(undefined), line(undefined, '10860012300058'), line(undefined, '10860012300065')]),
    ],
    [
      'another status',
      { ...delivery('r5', [line(undefined), line(undefined, '10860012300058')]), status: 'in-progress' },
    ],
    ['R4 lines under other ids', delivery(undefined, [line('line-x'), line('line-b', '10860012300058')])],
  ];
  for (const [label, sent] of cases) t.notOk(same(held, sent), label);
});

t.test('an R5 resend lists the lines in another order than the R4 write: the same write', async (t) => {
  // R4 keeps its client's entry order (a PUT line goes last); R5 reads the proof of delivery's
  const held = delivery(undefined, [line('line-b', '10860012300058', 1), line('line-a')]);
  t.ok(same(held, delivery('r5', [line(undefined), line(undefined, '10860012300058', 1)])), 'lines reordered');
  t.notOk(
    same(held, delivery('r5', [line(undefined, undefined, 1), line(undefined, '10860012300058', 2)])),
    'quantities swapped between two items: another confirmation',
  );
});

t.test('an R5 resend names the order lines in another order than the R4 entries did: the same write', async (t) => {
  // each R4 line's basedOn names its own order line, in the client's entry order; R5 lists them
  // in the proof of delivery's
  const basedOn = (lineIds: string[]) => ({ orderNumber: { system: 'urn:o', value: 'RQ-1' }, lineIds });
  const held = {
    ...delivery(undefined, [line('line-b', '10860012300058'), line('line-a')]),
    basedOn: basedOn(['order-line-b', 'order-line-a']),
  } as Delivery;
  const r5 = {
    ...delivery('pod-1', [line(undefined), line(undefined, '10860012300058')]),
    basedOn: basedOn(['order-line-a', 'order-line-b']),
  } as Delivery;
  t.ok(same(held, r5), 'order lines compared in no order, as the lines are');
  const other = { ...r5, basedOn: basedOn(['order-line-a', 'order-line-c']) } as Delivery;
  t.notOk(same(held, other), 'other order lines stay another write');
});
