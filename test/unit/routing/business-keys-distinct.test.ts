/**
 * No two writes share a business key (domain/business-key.ts). Keys joined an identifier's system
 * and value with '|' unescaped, and an app may put '|' in either, so delivery `DL-1|dhis2` (DHIS2
 * its system of record) was keyed as DL-1's copy for DHIS2, a completed delivery `DL-1|in-progress`
 * as DL-1's first draft, order `ORD-1|rev:2` as ORD-1's second revision, and an order under the
 * system `https://x|y` as one under `https://x` numbered `y|…`: the outbox took one for the
 * other's duplicate. Nor does a write's key lie in the range of another's numbered drafts (the
 * keys `key:n` store/numbered-keys.ts reads under a draft key with no bar after the number).
 */
import t from 'tap';
import type { Delivery, Order } from '../../../src/domain/index.js';
import { DELIVERIES, ORDERS, STOCK, secondaryKey } from '../../../src/routing/flows.js';

const SYSTEMS = ['https://app.example.org/d', 'https://app.example.org/d|DL-1', 'https://app.example.org/d%7CDL-1'];
const VALUES = [
  'DL-1',
  'DL-1|dhis2',
  'DL-1|in-progress',
  'DL-1|in-progress:2',
  'DL-1|in-progress:7|dhis2',
  'DL-1%7Cdhis2',
  'DL-1%|dhis2',
  'DL-1|rev:2',
  'DL-1|rev:2|dhis2',
];
const TARGETS = ['openlmis', 'dhis2'];

const delivery = (system: string, value: string, draft?: number): Delivery => ({
  identifier: { system, value },
  status: draft ? 'in-progress' : 'completed',
  destination: { id: 'fac-1' },
  lines: [],
  ...(draft && draft > 1 ? { draft } : {}),
});

const order = (system: string, value: string, revision?: number): Order =>
  ({ orderNumber: { system, value }, ...(revision ? { revision } : {}) }) as Order;

/** Each job a write makes: its system of record's under its key, each other target's under its copy key. */
function jobKeys(key: string, write: string): { job: string; write: string }[] {
  return TARGETS.flatMap((primary) =>
    TARGETS.map((system) => ({ job: `${system} ${system === primary ? key : secondaryKey(key, system)}`, write })),
  );
}

/** The jobs of every write of a flow, and the first job key found for two writes. */
function collisions(keys: { key: string; write: string }[]): string[] {
  const holder = new Map<string, string>();
  const found: string[] = [];
  for (const { job, write } of keys.flatMap(({ key, write }) => jobKeys(key, write))) {
    const other = holder.get(job);
    if (other && other !== write) found.push(`${job}: ${other} and ${write}`);
    holder.set(job, write);
  }
  return found;
}

const each = <T>(f: (system: string, value: string) => T[]) => SYSTEMS.flatMap((s) => VALUES.flatMap((v) => f(s, v)));

t.test('deliveries: no two writes (completions, drafts, their copies) share a key', async (t) => {
  const keys = each((s, v) =>
    [undefined, 1, 2, 7].map((draft) => ({
      key: DELIVERIES.key(delivery(s, v, draft))!,
      write: `${s} ${v} ${draft ? `draft ${draft}` : 'completed'}`,
    })),
  );
  t.same(collisions(keys), [], 'each job key is one write');
});

t.test('orders: no two writes (an order, its revisions, their copies) share a key', async (t) => {
  const keys = each((s, v) =>
    [undefined, 2, 3].map((revision) => ({
      key: ORDERS.key(order(s, v, revision))!,
      write: `${s} ${v} rev ${revision ?? 0}`,
    })),
  );
  t.same(collisions(keys), [], 'each job key is one write');
});

t.test('stock reports: no two identifiers share a key', async (t) => {
  const keys = each((s, v) => [
    { key: STOCK.key({ identifier: { system: s, value: v } } as never)!, write: `${s} ${v}` },
  ]);
  t.same(collisions(keys), [], 'each job key is one write');
});

t.test("no delivery's key is in the range of another's numbered drafts", async (t) => {
  const writes = each((s, v) =>
    [undefined, 1, 2].map((draft) => ({ key: DELIVERIES.key(delivery(s, v, draft))!, write: `${s} ${v}` })),
  );
  // the range numbered-keys.ts reads under a first draft's key K: `K:…` with no bar after the ':'
  const inRange = (k: string, first: string) => k.startsWith(`${first}:`) && !k.slice(first.length + 1).includes('|');
  const found = each((s, v) => {
    const first = DELIVERIES.key(delivery(s, v, 1))!;
    return writes.filter((w) => w.write !== `${s} ${v}` && inRange(w.key, first)).map((w) => `${w.key} under ${first}`);
  });
  t.same(found, [], "only a delivery's own drafts are numbered under its draft key");
});
