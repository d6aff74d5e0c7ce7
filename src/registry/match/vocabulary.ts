import { activeMapping, type MappingFile } from '../../config/mappings.js';

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

export const VOCABULARY_FILE: MappingFile<VocabularyTable> = {
  file: 'facility-name-vocabulary.json',
  schema: 'facility-name-vocabulary.schema.json',
};

/** The vocabulary from facility-name-vocabulary.json in mappings.dir, validated and compiled once. */
export function defaultVocabulary(): Vocabulary {
  return activeMapping(VOCABULARY_FILE, compileVocabulary);
}
