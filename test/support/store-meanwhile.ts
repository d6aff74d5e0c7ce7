import type { Store } from '../../src/store/index.js';

/**
 * The store as a reconcile run sees it, with `meanwhile` done once the run has read the crosswalk
 * (its `listAudit` call comes right after that read): what a person's decision or another run
 * lands in the seconds a run matches a national list.
 */
export function meanwhileDuringRun(store: Store, meanwhile: () => Promise<void>): Store {
  let done = false;
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key !== 'listAudit' || typeof value !== 'function')
        return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        if (!done) {
          done = true;
          await meanwhile();
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
