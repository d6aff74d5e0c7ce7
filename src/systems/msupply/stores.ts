import { BusinessRuleError, UnknownFacilityError } from '../../domain/errors.js';
import type { FacilityRef } from '../../domain/index.js';
import { ExpiringCache } from '../../upstream/expiring-cache.js';
import type { Me, MsupplyApi, StoreRow } from './api.js';
import { STORE_CODE_SYSTEM } from './identifiers.js';

/**
 * Which Open mSupply store a facility is, and whether the integration user may act in it. Almost
 * every operation takes `storeId`, and a user acts only in the stores `me` lists (server/service
 * /src/auth.rs `validate_auth`: "Forbidden" otherwise), so a facility whose store the user cannot
 * reach is refused before anything is written, naming the store.
 */
export interface StoreDirectory {
  /** The store a facility reference names (our Location id = the store id; a registry id via the crosswalk; a store code). */
  resolve(ref: FacilityRef, where: string): Promise<StoreRow>;
  /** The store a reference names, whether or not the user may act in it (a supplier), or undefined. */
  find(ref: FacilityRef): Promise<StoreRow | undefined>;
  /** The store of that id, or undefined. */
  byId(id: string): Promise<StoreRow | undefined>;
  /** The integration user and the stores it may act in (cached briefly). */
  me(): Promise<Me>;
  /**
   * The stores a read looks in: the one a search names (none when it names no store the user may
   * act in: no match, not an error), else every store the user may act in that is not disabled.
   */
  readable(facility?: string): Promise<Pick<StoreRow, 'id' | 'code'>[]>;
  clear(): void;
}

const ME_TTL_MS = 60_000;

export function createStoreDirectory(
  api: MsupplyApi,
  crosswalk?: (registryId: string) => Promise<string | undefined>,
): StoreDirectory {
  const cache = new ExpiringCache(() => ME_TTL_MS);
  const me = () => cache.get('me', () => api.me());
  const byId = async (id: string) => (await api.stores({ id: { equalTo: id } })).find((s) => s.id === id);
  const byCode = async (code: string) => (await api.stores({ code: { equalTo: code } })).find((s) => s.code === code);
  const accessible = async (store: StoreRow, where: string): Promise<StoreRow> => {
    const user = await me();
    const mine = user.stores.find((s) => s.id === store.id);
    if (!mine)
      throw new BusinessRuleError(
        `Open mSupply store ${store.code} (${store.storeName}) is not one the integration user '${user.username}' may act in`,
        where,
      );
    if (mine.isDisabled)
      throw new BusinessRuleError(
        `Open mSupply store ${store.code} is disabled for the integration user '${user.username}'`,
        where,
      );
    return store;
  };
  const find = async (ref: FacilityRef): Promise<StoreRow | undefined> => {
    if (ref.id) {
      const direct = await byId(ref.id);
      if (direct) return direct;
      const mapped = crosswalk ? await crosswalk(ref.id) : undefined;
      const viaCrosswalk = mapped ? await byId(mapped) : undefined;
      if (viaCrosswalk) return viaCrosswalk;
    }
    return ref.identifier?.value ? byCode(ref.identifier.value) : undefined;
  };
  const directory: StoreDirectory = {
    async resolve(ref, where) {
      const found = await find(ref);
      if (found) return accessible(found, where);
      const named =
        [
          ref.id && `Location/${ref.id}`,
          ref.identifier &&
            `${ref.identifier.system === STORE_CODE_SYSTEM ? 'store code' : ref.identifier.system}|${ref.identifier.value}`,
        ]
          .filter(Boolean)
          .join(' / ') || '(no id or identifier)';
      throw new UnknownFacilityError(
        `facility ${named} is not an Open mSupply store (not found by id, crosswalk or store code)`,
        where,
        ref,
      );
    },
    find,
    byId,
    me,
    async readable(facility) {
      if (facility) {
        try {
          return [await directory.resolve({ id: facility }, 'facility')];
        } catch (err) {
          if (err instanceof BusinessRuleError) return [];
          throw err;
        }
      }
      return (await me()).stores.filter((s) => !s.isDisabled);
    },
    clear: () => cache.clear(),
  };
  return directory;
}
