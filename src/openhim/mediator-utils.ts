/**
 * openhim-mediator-utils, loaded the first time it is used: it brings axios and its dependencies
 * (about 3 MB of resident memory and tens of milliseconds of start-up), which a mediator not
 * registered with OpenHIM never needs. Registration and transaction updates are asynchronous
 * already, so they await the module.
 */
type MediatorUtils = typeof import('openhim-mediator-utils').default;

let loading: Promise<MediatorUtils> | undefined;

export function mediatorUtils(): Promise<MediatorUtils> {
  loading ??= import('openhim-mediator-utils').then((m) => m.default);
  return loading;
}
