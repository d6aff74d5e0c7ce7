import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kenyaInput } from '../../bench/reconcile.js';

/** The Kenya training lists under ../shared (or SHARED_DIR), and whether they are there (the contract tier skips without them). */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const shared = process.env.SHARED_DIR ?? path.resolve(repoRoot, '../shared');
export const kenya = kenyaInput(shared);
export const kenyaPresent = existsSync(kenya.left) && existsSync(kenya.right) && existsSync(kenya.truth);
