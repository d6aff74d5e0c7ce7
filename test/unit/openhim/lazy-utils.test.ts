/**
 * A mediator not registered with OpenHIM never loads openhim-mediator-utils (and axios with it):
 * issue 18's idle memory and start-up time. Checked in a fresh process that loads the whole
 * mediator (src/main.ts) and then asks for the auth headers of a transaction update.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

const root = path.resolve(import.meta.dirname, '../../..');

const probe = `
import { createRequire } from 'node:module';
await import('./src/main.ts');
const cache = () => Object.keys(createRequire(import.meta.url).cache);
const loaded = (name) => cache().some((k) => k.includes('/node_modules/' + name + '/'));
const before = { utils: loaded('openhim-mediator-utils'), axios: loaded('axios') };
const { mediatorUtils } = await import('./src/openhim/mediator-utils.ts');
const headers = (await mediatorUtils()).genAuthHeaders({ username: 'u@x.org', password: 'pw-123456' });
process.stdout.write(JSON.stringify({ before, after: loaded('openhim-mediator-utils'), headerNames: Object.keys(headers).sort() }));
`;

t.test('the whole mediator loads without openhim-mediator-utils; first use loads it', async (t) => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', probe],
    { cwd: root },
  );
  const result = JSON.parse(stdout);
  t.same(result.before, { utils: false, axios: false }, 'not loaded by importing src/main.ts');
  t.equal(result.after, true, 'loaded on first use');
  t.same(result.headerNames, ['Authorization'], 'and it works');
});
