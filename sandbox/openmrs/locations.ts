import { randomUUID } from 'node:crypto';
import { invalidSubmission, notFound, restError } from './errors.js';
import { TEXT_FIELDS, type Location, type LocationAttribute, type User } from './model.js';
import type { OpenMrsStore } from './state.js';

/**
 * Location writes with the platform's rules: creatable/updatable properties only ("Some properties
 * are not allowed to be set"), a name required and unique among unretired locations
 * (LocationValidator), tags and parent by uuid or name, attributes checked against their type's
 * maxOccurs, retire with a reason (DELETE) and unretire (`retired: false`), audit fields set on
 * every change (AuditableInterceptor), attributes added (not replaced) by a location update.
 */
type Json = Record<string, any>;

const SETTABLE = new Set<string>([
  'name',
  ...TEXT_FIELDS,
  'tags',
  'parentLocation',
  'childLocations',
  'attributes',
  'retired',
  'retireReason',
]);
const refOf = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v
    : v && typeof v === 'object' && typeof (v as Json).uuid === 'string'
      ? (v as Json).uuid
      : undefined;

export class LocationService {
  constructor(private readonly store: OpenMrsStore) {}

  find(uuid: string): Location {
    const l = this.store.locationByUniqueId(uuid);
    if (!l) throw notFound();
    return l;
  }

  search(q: { q?: string; tag?: string; includeAll?: boolean }): Location[] {
    const tag = q.tag ? this.store.tag(q.tag) : undefined;
    if (q.tag && !tag) return [];
    return [...this.store.locations.values()]
      .filter((l) => q.includeAll || !l.retired)
      .filter((l) => !q.q || l.name.toLowerCase().startsWith(q.q.toLowerCase()))
      .filter((l) => !tag || l.tagUuids.includes(tag.uuid))
      .sort((a, b) => a.name.localeCompare(b.name) || a.uuid.localeCompare(b.uuid));
  }

  create(body: Json, user: User): Location {
    this.checkSettable(body);
    const l: Location = {
      ...(Object.fromEntries(TEXT_FIELDS.map((f) => [f, null])) as Record<(typeof TEXT_FIELDS)[number], null>),
      uuid: randomUUID(),
      name: '',
      tagUuids: [],
      parentUuid: null,
      retired: false,
      retireReason: null,
      attributes: [],
      audit: { creator: user.uuid, dateCreated: this.store.now(), changedBy: null, dateChanged: null },
    };
    this.apply(l, body, true);
    this.store.locations.set(l.uuid, l);
    this.store.count('location.create');
    return l;
  }

  update(uuid: string, body: Json, user: User): Location {
    this.checkSettable(body);
    const current = this.find(uuid);
    const next: Location = structuredClone(current);
    this.apply(next, body, false);
    if (body.retired === false && current.retired) {
      next.retired = false;
      next.retireReason = null;
      this.store.count('location.unretire');
    }
    if (body.retired === true && !current.retired) {
      next.retired = true;
      next.retireReason = String(body.retireReason ?? 'web service call');
      this.store.count('location.retire');
    }
    next.audit = { ...current.audit, changedBy: user.uuid, dateChanged: this.store.now() };
    this.store.locations.set(next.uuid, next);
    this.store.count('location.update');
    return next;
  }

  retire(uuid: string, reason: string | undefined, user: User): void {
    const l = this.find(uuid);
    l.retired = true;
    l.retireReason = reason ?? 'web service call';
    l.audit = { ...l.audit, changedBy: user.uuid, dateChanged: this.store.now() };
    this.store.count('location.retire');
  }

  purge(uuid: string): void {
    const l = this.find(uuid);
    if ([...this.store.locations.values()].some((c) => c.parentUuid === l.uuid))
      throw restError(409, 'Cannot purge a location that has child locations');
    this.store.locations.delete(l.uuid);
    this.store.count('location.purge');
  }

  addAttribute(uuid: string, body: Json, user: User): LocationAttribute {
    const l = this.find(uuid);
    const extra = Object.keys(body ?? {}).filter((k) => k !== 'attributeType' && k !== 'value');
    if (extra.length) throw restError(400, `Some properties are not allowed to be set: ${extra.join(', ')}`);
    const attribute = this.newAttribute(body);
    this.checkOccurs(l, [attribute]);
    l.attributes.push(attribute);
    l.audit = { ...l.audit, changedBy: user.uuid, dateChanged: this.store.now() };
    this.store.count('attribute.create');
    return attribute;
  }

  updateAttribute(uuid: string, attributeUuid: string, body: Json, user: User): LocationAttribute {
    const l = this.find(uuid);
    const a = l.attributes.find((x) => x.uuid === attributeUuid);
    if (!a) throw notFound();
    if (typeof body?.value !== 'string' || !body.value.trim())
      throw invalidSubmission({ value: 'A value is required' });
    a.value = body.value;
    l.audit = { ...l.audit, changedBy: user.uuid, dateChanged: this.store.now() };
    this.store.count('attribute.update');
    return a;
  }

  voidAttribute(uuid: string, attributeUuid: string): void {
    const a = this.find(uuid).attributes.find((x) => x.uuid === attributeUuid);
    if (!a) throw notFound();
    a.voided = true;
  }

  // ----------------------------------------------------------------------------------------------

  private checkSettable(body: Json): void {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw restError(400, 'The request body must be a JSON object');
    const bad = Object.keys(body).filter((k) => !SETTABLE.has(k));
    if (bad.length)
      throw restError(
        400,
        `Some properties are not allowed to be set: ${bad.join(', ')}`,
        'org.openmrs.module.webservices.rest.web.response.ConversionException:*',
      );
  }

  private apply(l: Location, body: Json, creating: boolean): void {
    if ('name' in body || creating) {
      if (typeof body.name !== 'string' || !body.name.trim()) throw invalidSubmission({ name: 'Invalid name' });
      const twin = [...this.store.locations.values()].find(
        (x) => x.uuid !== l.uuid && !x.retired && x.name.toLowerCase() === body.name.trim().toLowerCase(),
      );
      if (twin) throw invalidSubmission({ name: 'location.duplicate.name' });
      l.name = body.name.trim();
    }
    for (const f of TEXT_FIELDS) {
      if (!(f in body)) continue;
      const v = body[f];
      if (v !== null && typeof v !== 'string')
        throw restError(
          400,
          `${f} must be text`,
          'org.openmrs.module.webservices.rest.web.response.ConversionException:*',
        );
      if ((f === 'latitude' || f === 'longitude') && typeof v === 'string' && v.length > 50)
        throw invalidSubmission({ [f]: 'error.exceededMaxLengthOfField' });
      (l as unknown as Json)[f] = v;
    }
    if ('tags' in body) {
      if (!Array.isArray(body.tags)) throw restError(400, 'tags must be a list');
      l.tagUuids = body.tags.map((t: unknown) => {
        const tag = refOf(t) ? this.store.tag(refOf(t)!) : undefined;
        if (!tag)
          throw restError(
            400,
            `Object with given uuid doesn't exist: locationtag ${String(refOf(t) ?? JSON.stringify(t))}`,
            'org.openmrs.module.webservices.rest.web.response.ConversionException:*',
          );
        return tag.uuid;
      });
    }
    if ('parentLocation' in body) {
      const ref = refOf(body.parentLocation);
      const parent = ref ? this.store.locationByUniqueId(ref) : undefined;
      if (body.parentLocation !== null && !parent)
        throw restError(
          400,
          `Object with given uuid doesn't exist: location ${String(ref)}`,
          'org.openmrs.module.webservices.rest.web.response.ConversionException:*',
        );
      if (parent && parent.uuid === l.uuid)
        throw invalidSubmission({ parentLocation: 'Location.error.parentLocation.forms.loop' });
      l.parentUuid = parent?.uuid ?? null;
    }
    if ('attributes' in body) {
      if (!Array.isArray(body.attributes)) throw restError(400, 'attributes must be a list');
      const added = body.attributes.map((a: Json) => this.newAttribute(a));
      this.checkOccurs(l, added);
      l.attributes.push(...added);
    }
  }

  private newAttribute(a: Json): LocationAttribute {
    const typeRef = refOf(a?.attributeType);
    const type = typeRef ? this.store.attributeType(typeRef) : undefined;
    if (!type)
      throw restError(
        400,
        `Object with given uuid doesn't exist: locationattributetype ${String(typeRef)}`,
        'org.openmrs.module.webservices.rest.web.response.ConversionException:*',
      );
    if (typeof a.value !== 'string' || !a.value.trim()) throw invalidSubmission({ value: 'A value is required' });
    return { uuid: randomUUID(), attributeTypeUuid: type.uuid, value: a.value, voided: false };
  }

  /** BaseAttributeTypeValidator: at most maxOccurs active attributes of a type. */
  private checkOccurs(l: Location, added: LocationAttribute[]): void {
    for (const a of added) {
      const type = this.store.attributeTypes.get(a.attributeTypeUuid)!;
      const n = [...l.attributes, ...added].filter((x) => !x.voided && x.attributeTypeUuid === type.uuid).length;
      if (type.maxOccurs !== null && n > type.maxOccurs)
        throw invalidSubmission({}, [
          `Location.error.attribute.type.maxOccurs: ${type.name} allows at most ${type.maxOccurs}`,
        ]);
    }
  }
}
