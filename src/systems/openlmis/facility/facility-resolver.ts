import { MediatorError, UnknownFacilityError } from '../../../domain/errors.js';
import type { FacilityResolver, LmisFacilityRef, ReferenceData } from '../types.js';
import { FACILITY_CODE_SYSTEM, isUuid } from '../identifiers.js';

/**
 * Domain FacilityRef → OpenLMIS facility. Our Location id of an OpenLMIS facility is its UUID; a
 * registry id goes through the crosswalk; a business identifier is taken as the facility code
 * (FACILITY_CODE_SYSTEM, or any other system: OpenLMIS keys other systems on code, reference §2.4).
 */
export function createFacilityResolver(
  refs: ReferenceData,
  crosswalk?: (registryId: string) => Promise<string | undefined>,
): FacilityResolver {
  const byId = async (id: string): Promise<LmisFacilityRef | undefined> =>
    isUuid(id) ? refs.facilityById(id) : undefined;
  return async (ref, where) => {
    if (ref.id) {
      const direct = await byId(ref.id);
      if (direct) return direct;
      const mapped = crosswalk ? await crosswalk(ref.id) : undefined;
      const viaCrosswalk = mapped ? await byId(mapped) : undefined;
      if (viaCrosswalk) return viaCrosswalk;
    }
    if (ref.identifier?.value) {
      const byCode = await refs.facilityByCode(ref.identifier.value);
      if (byCode) return byCode;
    }
    const named =
      [
        ref.id && `Location/${ref.id}`,
        ref.identifier &&
          `${ref.identifier.system === FACILITY_CODE_SYSTEM ? 'OpenLMIS code' : ref.identifier.system}|${ref.identifier.value}`,
      ]
        .filter(Boolean)
        .join(' / ') || '(no id or identifier)';
    throw new UnknownFacilityError(
      `facility ${named} is not an OpenLMIS facility (not found by id, crosswalk or code)`,
      where,
      ref,
    );
  };
}

/** The facility a search names; an unknown facility matches nothing (null) rather than failing the search. */
export async function searchFacilityFilter(
  resolve: FacilityResolver,
  facility: string | undefined,
  where: string,
): Promise<string | null | undefined> {
  if (!facility) return undefined;
  try {
    return (await resolve({ id: facility }, where)).id;
  } catch (err) {
    if (err instanceof MediatorError && err.status === 422) return null;
    throw err;
  }
}
