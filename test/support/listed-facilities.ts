import type { Facility } from '../../src/domain/index.js';
import type { Connector } from '../../src/routing/ports.js';

/** A facility numbered `i`: id fac-i, code Fi. */
export const listedFacility = (i: number, name = `Facility ${i}`): Facility => ({
  id: `fac-${i}`,
  identifiers: [{ system: 'urn:test:code', value: `F${i}` }],
  name,
  status: 'active',
  kind: 'facility',
});

/**
 * A connector (system `lmis`) whose facility list is the array it is given, read live on every
 * call, so a test changes "the upstream" by changing the array. Each search answers fresh copies,
 * as a real upstream's parsed JSON would be.
 */
export function listedFacilities(upstream: Facility[]): Connector {
  return {
    system: 'lmis',
    facilities: {
      async get(id) {
        return upstream.find((f) => f.id === id);
      },
      async search() {
        return { items: upstream.map((f) => ({ ...f })) };
      },
    },
  };
}
