import path from 'node:path';
import { loadValidatedTable, mappingsDir } from './data-table.js';

export interface TypeClass {
  class: string;
  family: string;
  /** Position on the care ladder (dispensary 1, health centre 2, hospital 3); one step apart = adjacent. */
  rank?: number;
  phrases: string[];
}

interface VocabularyTable {
  abbreviations: { from: string; to: string }[];
  typeWords: string[];
  typeClasses: TypeClass[];
}

/** The vocabulary compiled for fast lookups during normalisation. */
export interface Vocabulary {
  /** Abbreviation token sequences (longest first) → expansion tokens. */
  abbreviations: { from: string[]; to: string[] }[];
  typeWords: ReadonlySet<string>;
  /** Type phrases as token lists, longest first, so "nursing home" wins over "home". */
  typePhrases: { tokens: string[]; typeClass: TypeClass }[];
}

function compileVocabulary(table: VocabularyTable): Vocabulary {
  const abbreviations = table.abbreviations
    .map((a) => ({ from: a.from.split(' '), to: a.to.split(' ') }))
    .sort((a, b) => b.from.length - a.from.length);
  const typePhrases = table.typeClasses
    .flatMap((typeClass) => typeClass.phrases.map((p) => ({ tokens: p.split(' '), typeClass })))
    .sort((a, b) => b.tokens.length - a.tokens.length);
  return { abbreviations, typeWords: new Set(table.typeWords), typePhrases };
}

let cached: Vocabulary | undefined;

/** The vocabulary from fhir-mappings/facility-name-vocabulary.json, validated once per process. */
export function defaultVocabulary(): Vocabulary {
  if (!cached) {
    const dir = mappingsDir();
    cached = compileVocabulary(
      loadValidatedTable<VocabularyTable>(
        path.join(dir, 'facility-name-vocabulary.json'),
        path.join(dir, 'facility-name-vocabulary.schema.json'),
      ),
    );
  }
  return cached;
}
