import type { Facility } from '../../../domain/index.js';
import { sameContent } from '../../../domain/same-content.js';
import { deepFreeze } from '../../../platform/deep-freeze.js';

/** Facilities remembered; past this the longest unchanged are dropped (a few KB each). */
const MAX_FACILITIES = 5_000;

/**
 * OpenLMIS facility JSON decoded once per content (issue 18). A facility whose JSON is equal to
 * the last one decoded under its id (the same object, or equal member by member) is answered
 * with the same Facility object, so everything downstream that compares search matches with
 * what it saw last time (routing/seen-versions.ts, fhir/encoded-resources.ts) finds them
 * identical at once, without walking them. The Facility objects are shared between searches, so
 * they are frozen: code that changes a search match in place fails instead of changing the next
 * search's answer.
 */
export class DecodedFacilities {
  private readonly last = new Map<string, { dto: unknown; facility: Facility }>();

  constructor(
    private readonly decode: (dto: unknown) => Facility,
    private readonly maxFacilities = MAX_FACILITIES,
  ) {}

  of(dto: unknown): Facility {
    const id = (dto as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return this.decode(dto);
    const known = this.last.get(id);
    if (known && sameContent(known.dto, dto)) return known.facility;
    const facility = deepFreeze(this.decode(dto));
    this.last.delete(id);
    this.last.set(id, { dto, facility });
    if (this.last.size > this.maxFacilities) this.last.delete(this.last.keys().next().value as string);
    return facility;
  }
}
