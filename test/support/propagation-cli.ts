/**
 * `cli propagation` as an operator runs it on a data directory, its output captured as text, for
 * the tests of what it prints.
 */
import { Writable } from 'node:stream';
import { propagationCommand } from '../../src/cli/propagation.js';

/** Runs `propagation --data-dir <dir> <args…>` and gives back what it wrote. */
export async function runPropagationCli(dir: string, args: string[]): Promise<string> {
  let text = '';
  const out = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  await propagationCommand({ out }).parseAsync(['node', 'propagation', '--data-dir', dir, ...args]);
  return text;
}
