import type { OpenLmisDeps, OpenLmisSettings } from '../../../../src/systems/openlmis/types.js';
import type { StepJournal } from '../../../../src/routing/ports.js';
import { createFacilityResolver } from '../../../../src/systems/openlmis/facility/facility-resolver.js';
import { loadProductMap, readProductRows } from '../../../../src/systems/openlmis/product/products.js';
import { createReferenceData } from '../../../../src/systems/openlmis/reference-data.js';
import { memoryLedger } from '../../../../src/systems/openlmis/requisition/write-ledger.js';
import { GTIN_SYSTEM } from '../../../../src/systems/openlmis/identifiers.js';
import { startClientHarness, type ClientHarness } from './client-harness.js';

/** Connector deps over a sandbox, as index.ts builds them, for the flow tests. */
export async function startDepsHarness(
  overrides: Partial<OpenLmisSettings> = {},
): Promise<ClientHarness & { deps: OpenLmisDeps }> {
  const h = await startClientHarness(overrides);
  const refs = createReferenceData(h.client, 60_000);
  const deps: OpenLmisDeps = {
    client: h.client,
    refs,
    products: loadProductMap(),
    resolveFacility: createFacilityResolver(refs),
    settings: () => h.settings,
    ledger: memoryLedger(),
  };
  return { ...h, deps };
}

const rows = readProductRows('fhir-mappings/products.json');
/** The FHIR product (GTIN) of an OpenLMIS product code, from the shipped map. */
export function gtinOf(productCode: string) {
  return { system: GTIN_SYSTEM, code: rows.find((r) => r.productCode === productCode)!.gtin!.padStart(14, '0') };
}

/** A journal that remembers nothing: every run is a first run, as after a crash before the record. */
export const amnesiacJournal = (key = 'journal-key'): StepJournal => ({
  idempotencyKey: key,
  run: (_step, action) => action(),
});
