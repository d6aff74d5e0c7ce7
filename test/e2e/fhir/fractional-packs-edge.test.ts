/**
 * A facility app reads an Open mSupply delivery whose shipment line holds broken packs with a
 * fraction of a unit (2.505 packs of 100: 250.5 tablets), sets it completed and PUTs it back
 * as read. The edge's whole-number check met it first and answered with generic words ("not a
 * whole number of packs within ±9007199254740991"), while the connector behind it has a precise
 * refusal saying how to get through. The edge's answer now says the same: the packs, that no
 * whole number states them, and to leave the line out to receive it as shipped, at the element.
 * Leaving it out then receives the shipment with the broken packs as shipped. R5 and R4, through
 * the real mediator and the Open mSupply sandbox, both store engines.
 */
import t from 'tap';
import { transactionOf, orderLine, gtinOf, why, RIG_AUTH } from '../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore, type MsupplyRig } from '../../support/msupply-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };

const isAmx = (i: any) => i.itemCodeableConcept.coding[0].code === gtinOf('EM-AMX250');
const shippedAt = (i: any) => i.extension.findIndex((e: any) => e.url.endsWith('/quantity-shipped'));

/** An order of amoxicillin and ORS, shipped with 2.505 packs of amoxicillin (a half tablet issued). */
async function shippedInHalfTablets(rig: MsupplyRig, order: string) {
  const posted = await rig.fhir(
    'POST',
    '/fhir',
    transactionOf([
      orderLine({ order, facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 250 }),
      orderLine({ order, facilityId: STORE, program: 'EM01', productCode: 'EM-ORS', qty: 2, packs: true }),
    ]),
  );
  if (posted.status !== 200) throw new Error(why(posted));
  const response = await until('the response requisition', async () =>
    [...rig.ms.state.requisitions.values()].find((r) => r.type === 'RESPONSE' && r.theirReference === order),
  );
  return rig.ms.state.shipResponseRequisition(response.id, { AMX250T: 2.505 }).inbound;
}

const PRECISE =
  /2\.505 packs.*no whole number of packs or units states.*leave the line out of the confirmation to receive it as shipped/;

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a delivery of half-tablet broken packs PUT back as read`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, FLOWS, { OPENLMIS_BASE_URL: '', OUTBOX_SETTLE_MS: '200' });
      const jobs = async () => (await rig.mediator.store.listJobs()).filter((j: any) => j.flow === 'deliveries');

      await t.test(
        'R5: refused at the broken packs, saying how to get through; leaving it out receives it',
        async (t) => {
          const inbound = await shippedInHalfTablets(rig, 'FRAC-EDGE-R5');
          const read = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${inbound.id}`);
          t.equal(read.status, 200, why(read));
          const amx = read.body.suppliedItem.findIndex(isAmx);
          const ext = shippedAt(read.body.suppliedItem[amx]);
          t.match(read.body.suppliedItem[amx].extension[ext].valueQuantity, { value: 2.505, code: 'pack' });

          const asRead = { ...structuredClone(read.body), status: 'completed' };
          const put = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${inbound.id}`, asRead);
          t.equal(put.status, 422, why(put));
          t.equal(put.body.resourceType, 'OperationOutcome');
          t.equal(put.body.issue.length, 1, 'one issue');
          t.match(put.body.issue[0], {
            severity: 'error',
            expression: [`SupplyDelivery.suppliedItem[${amx}].extension[${ext}].valueQuantity.value`],
          });
          t.match(put.body.issue[0].diagnostics, PRECISE, put.body.issue[0].diagnostics);
          t.equal(rig.ms.state.invoices.get(inbound.id)!.status, 'SHIPPED', 'nothing changed in Open mSupply');
          t.same(await jobs(), [], 'nothing queued');

          // the same with the accepted quantity echoed as read
          const echoed = structuredClone(asRead);
          echoed.suppliedItem[amx].quantity = echoed.suppliedItem[amx].extension[ext].valueQuantity;
          const put2 = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${inbound.id}`, echoed);
          t.equal(put2.status, 422, why(put2));
          t.match(put2.body.issue[0], { expression: [`SupplyDelivery.suppliedItem[${amx}].quantity.value`] });
          t.match(put2.body.issue[0].diagnostics, PRECISE, put2.body.issue[0].diagnostics);

          const withoutIt = {
            ...asRead,
            suppliedItem: asRead.suppliedItem.filter((_: unknown, i: number) => i !== amx),
          };
          const done = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${inbound.id}`, withoutIt);
          t.equal(done.status, 200, why(done));
          t.equal(rig.ms.state.invoices.get(inbound.id)!.status, 'RECEIVED');
          t.same(
            rig.ms.state
              .invoiceLinesOf(inbound.id)
              .map((l) => [rig.ms.state.items.get(l.itemId)!.code, l.numberOfPacks])
              .sort(),
            [
              ['AMX250T', 2.505],
              ['ORS205S', 2],
            ],
            'the broken packs received as shipped',
          );
        },
      );

      await t.test('R5: a JSON Patch that removes the line receives the shipment', async (t) => {
        const inbound = await shippedInHalfTablets(rig, 'FRAC-EDGE-PATCH');
        const read = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${inbound.id}`);
        const amx = read.body.suppliedItem.findIndex(isAmx);
        const res = await fetch(`${rig.mediator.url}/fhir/R5/SupplyDelivery/${inbound.id}`, {
          method: 'PATCH',
          headers: {
            authorization: RIG_AUTH,
            accept: 'application/fhir+json',
            'content-type': 'application/json-patch+json',
            'if-match': `W/"${read.body.meta.versionId}"`,
          },
          body: JSON.stringify([
            { op: 'replace', path: '/status', value: 'completed' },
            { op: 'remove', path: `/suppliedItem/${amx}` },
          ]),
        });
        t.equal(res.status, 200, await res.text());
        t.equal(rig.ms.state.invoices.get(inbound.id)!.status, 'RECEIVED');
      });

      await t.test('R4: the line of broken packs refused the same way', async (t) => {
        const before = (await jobs()).length;
        const inbound = await shippedInHalfTablets(rig, 'FRAC-EDGE-R4');
        const search = await rig.fhir('GET', `/fhir/SupplyDelivery?identifier=${encodeURIComponent(inbound.id)}`);
        t.equal(search.status, 200, why(search));
        const lines = (search.body.entry ?? []).map((e: any) => e.resource);
        const line = lines.find((r: any) => isAmx(r.suppliedItem));
        t.ok(line, 'the amoxicillin line is listed');
        const ext = shippedAt(line.suppliedItem);
        const put = await rig.fhir('PUT', `/fhir/SupplyDelivery/${line.id}`, { ...line, status: 'completed' });
        t.equal(put.status, 422, why(put));
        t.match(put.body.issue[0], {
          expression: [`SupplyDelivery.suppliedItem.extension[${ext}].valueQuantity.value`],
        });
        t.match(put.body.issue[0].diagnostics, PRECISE, put.body.issue[0].diagnostics);
        t.equal(rig.ms.state.invoices.get(inbound.id)!.status, 'SHIPPED', 'nothing changed in Open mSupply');
        t.equal((await jobs()).length, before, 'nothing queued');

        // the way through: the delivery's other line, which receives the broken packs as shipped
        const other = lines.find((r: any) => !isAmx(r.suppliedItem));
        const done = await rig.fhir('PUT', `/fhir/SupplyDelivery/${other.id}`, { ...other, status: 'completed' });
        t.equal(done.status, 200, why(done));
        t.equal(rig.ms.state.invoices.get(inbound.id)!.status, 'RECEIVED');
        t.same(
          rig.ms.state
            .invoiceLinesOf(inbound.id)
            .map((l) => [rig.ms.state.items.get(l.itemId)!.code, l.numberOfPacks])
            .sort(),
          [
            ['AMX250T', 2.505],
            ['ORS205S', 2],
          ],
          'the broken packs received as shipped',
        );
      });
    },
  );
}
