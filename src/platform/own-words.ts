/**
 * Words the mediator itself writes: the console's markup and labels, setting names and their
 * descriptions, FHIR and OperationOutcome keys. Masking is by literal text, so a secret equal to
 * one of them (the demo's upstream password is `password`) is masked wherever the word appears
 * in logs, OperationOutcomes and admin views, blanking text that never held it. The console masks
 * only the values it inserts (src/admin/ui/html.ts), but every other emitter masks whole texts:
 * the operator is warned at start to choose another value.
 */
import { settingDefs } from '../config/settings.js';

const MARKUP_AND_FHIR_WORDS = [
  'password',
  'token',
  'secret',
  'admin',
  'user',
  'username',
  'name',
  'type',
  'value',
  'code',
  'text',
  'hidden',
  'submit',
  'error',
  'status',
  'system',
  'resource',
  'resourceType',
  'issue',
  'severity',
  'diagnostics',
  'expression',
  'OperationOutcome',
  'Bearer',
  'Basic',
];

let words: Set<string> | undefined;

/** Every word of the settings' names and descriptions, and of the markup and FHIR keys above. */
function ownWords(): Set<string> {
  if (words) return words;
  words = new Set(MARKUP_AND_FHIR_WORDS);
  for (const def of settingDefs) {
    for (const word of `${def.key} ${def.description}`.split(/[^A-Za-z0-9]+/)) if (word) words.add(word);
  }
  return words;
}

/** Whether the mediator's own output uses this value as a word (case as written: masking is). */
export function isOwnWord(value: string): boolean {
  return ownWords().has(value);
}
