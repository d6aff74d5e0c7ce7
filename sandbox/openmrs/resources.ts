import type { Location, LocationAttribute, LocationAttributeType, LocationTag, User } from './model.js';
import { TEXT_FIELDS, ADDRESS_FIELDS } from './model.js';
import {
  DEFAULT,
  REF,
  UNKNOWN,
  links,
  render,
  restDate,
  type Json,
  type Rep,
  type Resource,
} from './representation.js';
import type { OpenMrsStore } from './state.js';

/**
 * The location-side resources in their three fixed representations, with the property order of a
 * real 2.x server (compare ../shared fixtures rest-location-*-full.json): `location`
 * (LocationResource2_0, resourceVersion 2.0), `locationtag` (1.8), location `attribute` (1.9),
 * `locationattributetype` (1.9) and a user reference for auditInfo.
 */
export interface Resources {
  location: Resource<Location>;
  tag: Resource<LocationTag>;
  attribute: Resource<{ location: Location; attribute: LocationAttribute }>;
  attributeType: Resource<LocationAttributeType>;
}

export function buildResources(store: OpenMrsStore, restBase: () => string): Resources {
  const url = (path: string) => `${restBase()}/${path}`;
  const userRef = (uuid: string | null): Json | null => {
    if (!uuid) return null;
    const u = store.users.get(uuid) as User | undefined;
    return { uuid, display: u?.display ?? uuid, links: links(url(`user/${uuid}`), false) };
  };
  const auditInfo = (l: Location) => ({
    creator: userRef(l.audit.creator),
    dateCreated: restDate(l.audit.dateCreated),
    changedBy: userRef(l.audit.changedBy),
    dateChanged: restDate(l.audit.dateChanged),
  });
  const retiredFlag = (retired: boolean) => (retired ? { retired: true } : {});

  const tag: Resource<LocationTag> = {
    ref: (t) => ({
      uuid: t.uuid,
      display: t.name,
      ...retiredFlag(t.retired),
      links: links(url(`locationtag/${t.uuid}`), false),
    }),
    default: (t) => ({
      uuid: t.uuid,
      display: t.name,
      name: t.name,
      description: t.description,
      retired: t.retired,
      links: links(url(`locationtag/${t.uuid}`), true),
      resourceVersion: '1.8',
    }),
    full: (t) => ({ ...tag.default(t), links: links(url(`locationtag/${t.uuid}`), false) }),
    prop: (t, name) => (name in tag.default(t) ? tag.default(t)[name] : UNKNOWN),
  };

  const attributeType: Resource<LocationAttributeType> = {
    ref: (t) => ({
      uuid: t.uuid,
      display: t.name,
      ...retiredFlag(t.retired),
      links: links(url(`locationattributetype/${t.uuid}`), false),
    }),
    default: (t) => ({
      uuid: t.uuid,
      display: t.name,
      name: t.name,
      description: t.description,
      minOccurs: t.minOccurs,
      maxOccurs: t.maxOccurs,
      datatypeClassname: t.datatypeClassname,
      preferredHandlerClassname: null,
      retired: t.retired,
      links: links(url(`locationattributetype/${t.uuid}`), true),
      resourceVersion: '1.9',
    }),
    full: (t) => ({
      ...attributeType.default(t),
      datatypeConfig: null,
      handlerConfig: null,
      links: links(url(`locationattributetype/${t.uuid}`), false),
    }),
    prop: (t, name) => (name in attributeType.full(t) ? attributeType.full(t)[name] : UNKNOWN),
  };

  const typeOf = (a: LocationAttribute) => store.attributeTypes.get(a.attributeTypeUuid)!;
  const attribute: Resource<{ location: Location; attribute: LocationAttribute }> = {
    ref: ({ location, attribute: a }) => ({
      uuid: a.uuid,
      display: `${typeOf(a).name}: ${a.value}`,
      links: links(url(`location/${location.uuid}/attribute/${a.uuid}`), false),
    }),
    default: ({ location, attribute: a }) => ({
      display: `${typeOf(a).name}: ${a.value}`,
      uuid: a.uuid,
      attributeType: attributeType.ref(typeOf(a)),
      value: a.value,
      voided: a.voided,
      links: links(url(`location/${location.uuid}/attribute/${a.uuid}`), true),
      resourceVersion: '1.9',
    }),
    full: (x) => ({ ...attribute.default(x), attributeType: attributeType.default(typeOf(x.attribute)) }),
    prop(x, name, rep) {
      if (name === 'attributeType') return render(attributeType, typeOf(x.attribute), rep);
      const d = attribute.default(x);
      return name in d ? d[name] : UNKNOWN;
    },
  };

  const tagsOf = (l: Location) => l.tagUuids.map((u) => store.tags.get(u)!).filter(Boolean);
  const parentOf = (l: Location) => (l.parentUuid ? store.locations.get(l.parentUuid) : undefined);
  const childrenOf = (l: Location) => [...store.locations.values()].filter((c) => c.parentUuid === l.uuid);
  const activeAttributes = (l: Location) =>
    l.attributes.filter((a) => !a.voided).map((a) => ({ location: l, attribute: a }));
  const text = (l: Location, fields: readonly string[]) =>
    Object.fromEntries(fields.map((f) => [f, (l as unknown as Json)[f] ?? null]));

  const body = (l: Location, nested: Rep, withAudit: boolean): Json => ({
    uuid: l.uuid,
    display: l.name,
    name: l.name,
    ...text(l, [
      'description',
      'address1',
      'address2',
      'cityVillage',
      'stateProvince',
      'country',
      'postalCode',
      'latitude',
      'longitude',
      'countyDistrict',
      'address3',
      'address4',
      'address5',
      'address6',
    ]),
    tags: tagsOf(l).map((t) => render(tag, t, nested)),
    parentLocation: parentOf(l) ? render(location, parentOf(l)!, nested) : null,
    childLocations: childrenOf(l).map((c) => render(location, c, nested)),
    retired: l.retired,
    ...(withAudit ? { auditInfo: auditInfo(l) } : {}),
    attributes: activeAttributes(l).map((a) => render(attribute, a, nested)),
    ...text(l, ADDRESS_FIELDS.slice(6)),
  });

  const location: Resource<Location> = {
    ref: (l) => ({
      uuid: l.uuid,
      display: l.name,
      ...retiredFlag(l.retired),
      links: links(url(`location/${l.uuid}`), false),
    }),
    default: (l) => ({ ...body(l, REF, false), links: links(url(`location/${l.uuid}`), true), resourceVersion: '2.0' }),
    full: (l) => ({
      ...body(l, DEFAULT, true),
      links: links(url(`location/${l.uuid}`), false),
      resourceVersion: '2.0',
    }),
    prop(l, name, rep) {
      if ((TEXT_FIELDS as readonly string[]).includes(name)) return (l as unknown as Json)[name] ?? null;
      switch (name) {
        case 'uuid':
          return l.uuid;
        case 'display':
        case 'name':
          return l.name;
        case 'retired':
          return l.retired;
        case 'retireReason':
          return l.retireReason;
        case 'tags':
          return tagsOf(l).map((t) => render(tag, t, rep));
        case 'parentLocation':
          return parentOf(l) ? render(location, parentOf(l)!, rep) : null;
        case 'childLocations':
          return childrenOf(l).map((c) => render(location, c, rep));
        case 'attributes':
          return activeAttributes(l).map((a) => render(attribute, a, rep));
        case 'auditInfo':
          return auditInfo(l);
        case 'links':
          return links(url(`location/${l.uuid}`), false);
        case 'resourceVersion':
          return '2.0';
        default:
          return UNKNOWN;
      }
    },
  };
  return { location, tag, attribute, attributeType };
}
