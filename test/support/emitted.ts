import { testApp, fhirJson } from './app.js';
import { inventoryReport, location, supplyDelivery, supplyRequest, transaction } from './samples.js';

/** Every kind of resource the mediator emits on one base, gathered through the real HTTP surface. */
export async function emittedResources(version: 'r4' | 'r5'): Promise<any[]> {
  const { app } = await testApp();
  const base = version === 'r4' ? '/fhir' : '/fhir/R5';
  const r5 = version === 'r5';
  const send = async (method: string, url: string, body?: unknown) =>
    (
      await app.inject({
        method: method as 'GET',
        url: `${base}${url}`,
        headers: fhirJson,
        payload: body === undefined ? undefined : JSON.stringify(body),
      })
    ).json();
  const out: any[] = [];
  const loc = {
    ...location(),
    alias: ['CHC'],
    telecom: undefined,
    address: { line: ['Main road'], city: 'Nakuru', country: 'KE' },
    partOf: { reference: 'Location/area-1' },
    managingOrganization: { display: 'Ministry of Health' },
  };
  out.push(await send('POST', '/Location', loc));
  const sr = supplyRequest({ r5 });
  out.push(await send('POST', '/SupplyRequest', sr));
  const tx = await send(
    'POST',
    '',
    transaction(
      [1, 2].map((g) => ({
        method: 'POST',
        url: 'SupplyRequest',
        resource: supplyRequest({ r5, order: 'TX-1', gtin: `0000000000000${g}` }),
      })),
    ),
  );
  out.push(tx);
  const sd = supplyDelivery({ accepted: 8, rejected: 2, reason: 'damaged' });
  if (r5) sd.suppliedItem = [sd.suppliedItem];
  out.push(await send('POST', '/SupplyDelivery', sd));
  if (r5) out.push(await send('POST', '/InventoryReport', inventoryReport()));
  out.push(await send('GET', '/SupplyRequest?_count=1'));
  out.push(await send('GET', '/Location?_summary=count'));
  out.push(await send('GET', '/Location/does-not-exist'));
  out.push(await send('GET', '/metadata'));
  if (!r5) out.push(await send('GET', '/SearchParameter/SupplyDelivery-destination'));
  return out;
}
