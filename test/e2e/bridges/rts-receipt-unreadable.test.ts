/**
 * A consignment the facility completed with an item's quantity received left empty (DHIS2 keeps a
 * completed event without a value its stage does not make compulsory): the bridge cannot tell what
 * arrived, so it writes nothing back. Not the RTS counts, and not the confirmation of the inbound
 * shipment of a facility that is an Open mSupply store, which would receive the item in full as
 * shipped (a confirmation leaves the lines it does not name as shipped). The run names the
 * consignment, the facility and why; once the facility enters the quantity, the next run writes
 * the receipt with it. Before, the item was dropped from the receipt and the hospital's inbound
 * shipment was received with all of it.
 */
import t from 'tap';
import { CONSIGNMENT } from '../../../sandbox/dhis2/index.js';
import type { RtsRunResult } from '../../../src/bridges/rts-to-msupply.js';
import { engineCases } from '../../support/outbox-engines.js';
import {
  PRODUCTS,
  drain,
  hospitalInbounds,
  instanceAOn,
  postEvents,
  raiseAndShip,
  rtsEvents,
  shipmentFor,
} from './rts-rig.js';

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a consignment completed without a quantity is not received`,
    { skip: engine.skip },
    async (t) => {
      const { sb, store, a } = await instanceAOn(t, engine);
      const raised = await raiseAndShip(sb, a, store, 10);
      const [hospital] = raised.filter((r) => r.facility === 'LK-DH-201');
      const outbound = shipmentFor(sb.ms, hospital.event);
      const [emptyItem, fullItem] = Object.keys(hospital.lines);
      // the facility completes the consignment, the first item's quantity received left empty
      const events = [...sb.dhis2.tracker.events.values()].filter(
        (e) =>
          e.program === CONSIGNMENT.program &&
          e.dataValues.some((d) => d.dataElement === CONSIGNMENT.reference && d.value === outbound.id),
      );
      const itemOf = (e: (typeof events)[number]) =>
        e.dataValues.find((d) => d.dataElement === CONSIGNMENT.item)!.value;
      await postEvents(
        sb.dhis2,
        events.map((e) => ({
          ...e,
          status: 'COMPLETED',
          dataValues: e.dataValues.filter((d) => !(itemOf(e) === emptyItem && d.dataElement === CONSIGNMENT.quantity)),
        })),
      );
      const counts = () => rtsEvents(sb.dhis2).length;
      const before = counts();

      const run = (await a.job.run()) as RtsRunResult;
      await drain(a.outbox, store);
      const inbound = () => hospitalInbounds(sb.ms).find((i) => i.linkedInvoiceId === outbound.id)!;
      t.equal(inbound().status, 'SHIPPED', 'the inbound shipment is not received as shipped');
      t.equal(counts(), before, 'no RTS count written');
      t.match(run.counts, { 'receipts.written': 0, 'receipts.unreadable': 1 });
      t.match(
        run.detail,
        new RegExp(
          `^not received: consignment ${outbound.id} at LK-DH-201: item ${emptyItem} has no quantity received \\(event \\w+\\)`,
          'm',
        ),
      );

      // the facility enters what arrived: the next run writes it back, and confirms the inbound shipment with it
      const pack = new Map(PRODUCTS.map(([code, , size]) => [code, size]));
      await postEvents(
        sb.dhis2,
        events.map((e) => ({
          ...e,
          status: 'COMPLETED',
          dataValues:
            itemOf(e) === emptyItem
              ? [
                  ...e.dataValues.filter((d) => d.dataElement !== CONSIGNMENT.quantity),
                  { dataElement: CONSIGNMENT.quantity, value: String(pack.get(emptyItem)) },
                ]
              : e.dataValues,
        })),
      );
      const fixed = (await a.job.run()) as RtsRunResult;
      await drain(a.outbox, store);
      t.match(fixed.counts, { 'receipts.written': 1, 'receipts.unreadable': 0, 'inbounds.confirmed': 1 });
      t.ok(['RECEIVED', 'VERIFIED'].includes(inbound().status), 'received now');
      const units = (code: string) =>
        inbound()
          .lines.filter((l) => sb.ms.state.items.get(l.itemId)!.code === PRODUCTS.find(([c]) => c === code)![1])
          .reduce((n, l) => n + l.numberOfPacks * l.packSize, 0);
      t.equal(units(emptyItem), pack.get(emptyItem), 'the units the facility entered');
      t.equal(units(fullItem), hospital.lines[fullItem], 'the other item as it arrived');
    },
  );
}
