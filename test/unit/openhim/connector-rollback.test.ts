/**
 * A console save applied to the connectors whole or not at all (src/systems/index.ts
 * ConnectorSet): when one connector's reconfigure refuses the save after another was already
 * reconfigured by it, the earlier one is put back on the settings it ran on, so the settings in
 * force (unchanged, since the save was refused) and every connector agree.
 */
import t from 'tap';
import type { Connector } from '../../../src/routing/ports.js';
import type { Store } from '../../../src/store/types.js';
import { ConnectorSet, registerConnectorFactory } from '../../../src/systems/index.js';

const seen: Record<string, unknown>[] = [];
function fake(system: string, refuse: (s: Record<string, unknown>) => boolean): Connector {
  return {
    system,
    reconfigure(s: Record<string, unknown>) {
      if (refuse(s)) throw new Error(`${system} refuses ${String(s['test.value'])}`);
      if (system === 'rollback-a') seen.push(s);
    },
  } as unknown as Connector;
}
// registered after the built-in systems, in this order: a is reconfigured before b
registerConnectorFactory({
  system: 'rollback-a',
  enabled: (s) => s['test.on'] === true,
  create: () => fake('rollback-a', () => false),
});
registerConnectorFactory({
  system: 'rollback-b',
  enabled: (s) => s['test.on'] === true,
  create: () => fake('rollback-b', (s) => s['test.value'] === 'bad'),
});

t.test('a reconfigure refused part-way puts the connectors reconfigured before it back', async (t) => {
  const first = { 'test.on': true, 'test.value': 'first' };
  const set = await ConnectorSet.open({} as Store, first);
  const a = set.list().find((c) => c.system === 'rollback-a');
  await set.apply({ 'test.on': true, 'test.value': 'second' });
  t.same(seen.at(-1), { 'test.on': true, 'test.value': 'second' }, 'an accepted save reaches a');

  await t.rejects(set.apply({ 'test.on': true, 'test.value': 'bad' }), { message: 'rollback-b refuses bad' });
  t.same(seen.at(-1), { 'test.on': true, 'test.value': 'second' }, 'a runs on the settings in force again');
  t.equal(
    set.list().find((c) => c.system === 'rollback-a'),
    a,
    'the same connector object stays in the set',
  );
});
