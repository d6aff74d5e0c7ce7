/**
 * A CLI command's connectors (withCliRuntime: `jobs run`, `bridge …`) are the server's, so what
 * one tells the operator of a write it carried out other than as sent (connector-log.ts: a field
 * Open mSupply refused on a count's stocktake line, left out) must reach the operator here too: on
 * the command's stderr, as the CLI says its other warnings. Before, the CLI built its connectors
 * without a log and the count's dropped field was said nowhere. Both engines.
 */
import { Writable } from 'node:stream';
import t from 'tap';
import { withCliRuntime } from '../../../src/cli/runtime.js';
import { loadOperatorSettings } from '../../../src/config/load.js';
import type { Settings } from '../../../src/config/settings.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { MemoryJournal, asSet, orsCount, orsLine, startRig } from '../systems/msupply/harness.js';

/** A stream that keeps what is written to it. */
function kept(): Writable & { text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { databaseUrl } = await freshStore(engine, t);
    const rig = await startRig();
    t.teardown(() => rig.close());
    // the ORS batch names a program Open mSupply no longer has: the count goes on without it
    orsLine(rig).more = { ...asSet };
    rig.sb.state.lineFields.programs.delete('program-essential');
    const settings = { ...loadOperatorSettings({ DATABASE_URL: databaseUrl }), ...rig.settings } as Settings;
    const err = kept();
    let counted: unknown;
    const code = await withCliRuntime(
      settings,
      async ({ connectors }) => {
        const msupply = connectors.find((c) => c.system === 'msupply');
        counted = await msupply!.stock!.report(orsCount('CLI-COUNT'), new MemoryJournal());
        return 0;
      },
      err,
    );
    t.equal(code, 0);
    t.ok(counted, 'the count was written');
    t.equal(orsLine(rig).totalNumberOfPacks, 12, 'counted in Open mSupply');
    t.equal(
      err.text(),
      'warning: msupply: a count left programId out of its stocktake line (Open mSupply refused it: ProgramDoesNotExist); finalise leaves the batch without it\n',
      'the dropped field said once on the command stderr',
    );
  });
}
