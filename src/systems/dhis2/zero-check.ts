import { isUid } from './identifiers.js';
import type { Dhis2Client } from './client.js';
import type { Dhis2ProductMap } from './products.js';
import { dropsZeros, ZERO_IS_STOCK_OUT } from './stock.js';

/**
 * The configuration check behind /ready's `dhis2-setup` line: the data elements a stock-out is
 * written to (stock on hand, months of stock) whose "Zero is significant" is off. DHIS2 skips a
 * zero of such a data element on import, so the connector refuses a stock-out to it (422, stock.ts);
 * an implementer should learn that while configuring, not when a facility first runs out.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DHIS2 JSON, read field by field
type Json = Record<string, any>;

/** How long an answer stands: /ready is probed often, and a fix in DHIS2 shows within this. */
const FRESH_MS = 60_000;

export interface ZeroDroppingElement {
  /** As the mapping names it (code or UID). */
  dataElement: string;
  measure: string;
}

/** The stock-out data elements (as mapped) DHIS2 would drop a zero of; absent ones are not its concern. */
export async function zeroDroppingElements(
  client: Dhis2Client,
  products: Dhis2ProductMap,
): Promise<ZeroDroppingElement[]> {
  const wanted = [...ZERO_IS_STOCK_OUT].flatMap((measure) =>
    products.dataElementsOf(measure).map((dataElement) => ({ dataElement, measure })),
  );
  const keys = [...new Set(wanted.map((w) => w.dataElement))];
  const drops = new Set<string>();
  for (let i = 0; i < keys.length; i += 100) {
    const batch = keys.slice(i, i + 100);
    const uids = batch.filter(isUid);
    const list = await client.list<Json>('/api/dataElements', 'dataElements', {
      fields: 'id,code,valueType,zeroIsSignificant,aggregationType',
      filter: [`code:in:[${batch.join(',')}]`, ...(uids.length ? [`id:in:[${uids.join(',')}]`] : [])],
      rootJunction: 'OR',
    });
    for (const d of list.filter(dropsZeros)) {
      drops.add(String(d.id));
      if (d.code) drops.add(String(d.code));
    }
  }
  return wanted.filter((w) => drops.has(w.dataElement));
}

/** The words /ready shows: each data element, what it holds, and the one setting to change. */
export function zeroDroppingProblem(found: ZeroDroppingElement[]): string {
  const named = found.map((f) => `${f.dataElement} (${f.measure})`).join(', ');
  return (
    `${found.length} DHIS2 data element${found.length === 1 ? '' : 's'} a stock-out is written to drop zeros: ${named}. ` +
    `A count of 0 to them is refused (422), since DHIS2 would keep the value stored before; ` +
    `tick "Zero is significant" (zeroIsSignificant) on each in DHIS2's Maintenance app`
  );
}

/**
 * /ready's check: throws the problem while one exists. An answer stands for a minute, or until the
 * mappings change; a failed look-up (DHIS2 away, the account held) is no setup problem: the `dhis2`
 * line already says why, so this one passes and asks again next time.
 */
export function zeroSetupCheck(
  client: Dhis2Client,
  products: () => Dhis2ProductMap,
  aggregate: () => boolean,
): () => Promise<void> {
  let last: { map: Dhis2ProductMap; at: number; found: ZeroDroppingElement[] } | undefined;
  return async () => {
    if (!aggregate()) return; // RTS stock writes tracker events, no data elements of this kind
    const map = products();
    if (last?.map !== map || Date.now() - last.at > FRESH_MS) {
      const found = await zeroDroppingElements(client, map).catch(() => undefined);
      if (!found) return;
      last = { map, at: Date.now(), found };
    }
    if (last.found.length) throw new Error(zeroDroppingProblem(last.found));
  };
}
