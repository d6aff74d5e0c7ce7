/**
 * The request shapes the Android FHIR SDK (google/android-fhir, engine/…/sync/upload and
 * …/sync/download) sends, for the per-connector replays of issue 16: the incremental download
 * (`_lastUpdated=gt…`, `_sort=_lastUpdated`, following `next`), a JSON Patch's content type, and
 * a transaction entry whose PATCH travels as a Binary holding the base64 JSON Patch.
 */
import { randomUUID } from 'node:crypto';
import type { Rig } from './openlmis-e2e.js';
import { orderLine, transactionOf, why } from './openlmis-e2e.js';

export const patchHeaders = { 'content-type': 'application/json-patch+json' };

/** A PATCH entry's resource inside a transaction Bundle: the JSON Patch as a base64 Binary. */
export const binary = (ops: unknown) => ({
  resourceType: 'Binary',
  contentType: 'application/json-patch+json',
  data: Buffer.from(JSON.stringify(ops)).toString('base64'),
});

export interface Downloaded {
  ids: string[];
  latest: string;
  etags: Map<string, string>;
  /** Each downloaded resource by id, as the SDK stores it locally. */
  resources: Map<string, any>;
  pages: number;
}

/** What the replay needs of a running mediator: its URL and a FHIR call. */
export type SdkClient = Pick<Rig, 'fhir'> & { mediator: { url: string } };

/** The SDK's download: every page of `[type]?_lastUpdated=gt{since}`, oldest change first. */
export async function download(
  rig: SdkClient,
  since: string,
  type = 'Location',
  count = 3,
  /** The SDK's per-type download parameters (`location=…`), as `name=value&…`. */
  filter = '',
): Promise<Downloaded> {
  const ids: string[] = [];
  const etags = new Map<string, string>();
  const resources = new Map<string, any>();
  let latest = since;
  let pages = 0;
  let url: string | undefined =
    `/fhir/${type}?_lastUpdated=gt${encodeURIComponent(since)}&_sort=_lastUpdated&_count=${count}${filter ? `&${filter}` : ''}`;
  while (url) {
    const res = await rig.fhir('GET', url);
    if (res.status !== 200) throw new Error(`download: ${res.status} ${why(res)}`);
    pages++;
    for (const e of res.body.entry ?? []) {
      ids.push(e.resource.id);
      etags.set(e.resource.id, e.resource.meta?.versionId);
      resources.set(e.resource.id, e.resource);
      const stamp = e.resource.meta?.lastUpdated;
      if (stamp && stamp > latest) latest = stamp;
    }
    const next = res.body.link?.find((l: { relation: string }) => l.relation === 'next')?.url as string | undefined;
    url = next?.slice(rig.mediator.url.length);
  }
  return { ids, latest, etags, resources, pages };
}

/** A transaction Bundle of `PUT [type]/[id]` entries: the SDK's upload of local creates. */
export function putTransaction(resources: { resourceType: string; id: string }[]): any {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((r) => ({
      resource: r,
      request: { method: 'PUT', url: `${r.resourceType}/${r.id}` },
    })),
  };
}

/**
 * The SDK's upload of a two-line order made on the device at the facility (FP01: FP-LNG30 84,
 * FP-CNDM 144), each line PUT under the id the device gave it; a test may push more entries.
 */
export function twoLineOrderUpload(order: string, facilityId: string): { bundle: any; lineIds: [string, string] } {
  const lineIds: [string, string] = [randomUUID(), randomUUID()];
  const lines = [
    { productCode: 'FP-LNG30', qty: 84 },
    { productCode: 'FP-CNDM', qty: 144 },
  ].map((l, i) => ({ ...orderLine({ order, facilityId, program: 'FP01', ...l }), id: lineIds[i] }));
  const bundle = transactionOf(lines, 'PUT');
  lineIds.forEach((id, i) => (bundle.entry[i].request.url = `SupplyRequest/${id}`));
  return { bundle, lineIds };
}
