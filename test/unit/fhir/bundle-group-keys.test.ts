/**
 * A transaction Bundle's entries are grouped into one order (or delivery) by its business key
 * (fhir/adapters.ts groupKey, fhir/bundle.ts). The key joined the order number's system and value
 * with '|' unescaped, so the lines of order `a|b` under system S and of order `b` under system
 * `S|a` were one group, one order of both's lines. Keyed as the outbox keys writes
 * (domain/business-key.ts), they are two.
 */
import t from 'tap';
import { adapters } from '../../../src/fhir/adapters.js';
import { supplyRequest } from '../../support/samples.js';

const S = 'https://app.example.org/orders';

/** The group key of a SupplyRequest line of order `value` under `system`. */
function groupOf(system: string, value: string): string {
  const resource = supplyRequest({ order: value });
  resource.identifier[0].system = system;
  return adapters.SupplyRequest.decode('r4', resource, 'SupplyRequest', 'create').groupKey;
}

t.test('orders whose system and value join to the same text are two groups', async (t) => {
  t.not(groupOf(S, 'a|b'), groupOf(`${S}|a`, 'b'));
  t.equal(groupOf(S, 'a|b'), groupOf(S, 'a|b'), 'and one order is one group');
});
