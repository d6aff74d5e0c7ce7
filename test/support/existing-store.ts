import { openStore } from '../../src/store/index.js';

/**
 * The mediator's database made in `dataDir` as `serve` makes it, for the tests of operator
 * commands: those refuse a place with no database (src/store/missing-store.ts).
 */
export async function storeMadeIn(dataDir: string): Promise<void> {
  await (await openStore({ dataDir })).close();
}
