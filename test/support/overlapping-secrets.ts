/** Two secrets built to overlap (the end of the first is the start of the second), and a redactor knowing some. */
import { Redactor } from '../../src/platform/redaction.js';

export const FIRST = 'alpha-Pass-shared9';
export const SECOND = 'shared9-omega-Word';
/** FIRST running into SECOND: the text where their forms overlap. */
export const OVERLAPPING = 'alpha-Pass-shared9-omega-Word';

export function redactorOf(...secrets: string[]): Redactor {
  const r = new Redactor();
  for (const secret of secrets) r.learn(secret);
  return r;
}
