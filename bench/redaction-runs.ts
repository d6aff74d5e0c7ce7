/**
 * npx tsx bench/redaction-runs.ts — what the redactor costs on a text full of matches of a weak,
 * repetitive secret (an upstream echoing a megabyte of `0` while a password is `0000`) beside a
 * megabyte of ordinary JSON holding one secret, and the same for OpenHIM masking's literal scrub;
 * then the same past the automaton's table cap (a secret of many distinct characters beside them).
 * BENCH_BASE_DIR=tree runs that tree's Redactor and scrubSecretValues beside this tree's.
 * CPU milliseconds per call, min/median over BENCH_ROUNDS (5) rounds.
 */
import path from 'node:path';
import { scrubSecretValues } from '../src/openhim/masking.js';
import { Redactor } from '../src/platform/redaction.js';

type Scrub = typeof scrubSecretValues;
type RedactorClass = new () => Redactor;
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const SECRETS = ['0000', 'S3cr3t-p@ss wörd&=<>', 'another-Secret-99', 'client-secret-abcdef', 'mSupply-pass'];
/** 300 (redactor) or 2,100 (scrub: fewer forms) distinct characters: past the table's cap. */
const wide = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(0x4e00 + i)).join('');
const CAPPED = [...SECRETS, wide(300)];
const SCRUB_CAPPED = [...SECRETS, wide(2100)];
const MB = 1 << 20;
const zeros = '0'.repeat(MB);
const ordinary = `${JSON.stringify({ text: 'lorem ipsum dolor 1234 '.repeat(MB / 20) }).slice(0, MB)} mSupply-pass`;

function redactorOf(Class: RedactorClass, secrets: readonly string[]): Redactor {
  const redactor = new Class();
  for (const secret of secrets) redactor.learn(secret);
  return redactor;
}

function sidesOf(tree: string, Class: RedactorClass, scrub: Scrub): Record<string, () => string> {
  const redactor = redactorOf(Class, SECRETS);
  const capped = redactorOf(Class, CAPPED);
  return {
    [`redact 1 MB of 0 (${tree})`]: () => redactor.redact(zeros),
    [`redact 1 MB ordinary (${tree})`]: () => redactor.redact(ordinary),
    [`scrub 1 MB of 0 (${tree})`]: () => scrub(zeros, SECRETS),
    [`scrub 1 MB ordinary (${tree})`]: () => scrub(ordinary, SECRETS),
    [`capped: redact 1 MB of 0 (${tree})`]: () => capped.redact(zeros),
    [`capped: redact 1 MB ordinary (${tree})`]: () => capped.redact(ordinary),
    [`capped: scrub 1 MB of 0 (${tree})`]: () => scrub(zeros, SCRUB_CAPPED),
    [`capped: scrub 1 MB ordinary (${tree})`]: () => scrub(ordinary, SCRUB_CAPPED),
  };
}

const cases = sidesOf('this tree', Redactor, scrubSecretValues);
const base = process.env.BENCH_BASE_DIR;
if (base) {
  const old = (await import(path.resolve(base, 'src/platform/redaction.ts'))) as { Redactor: RedactorClass };
  const oldMasking = (await import(path.resolve(base, 'src/openhim/masking.ts'))) as { scrubSecretValues: Scrub };
  Object.assign(cases, sidesOf('base tree', old.Redactor, oldMasking.scrubSecretValues));
}

let sink = 0;
function cpuMillis(run: () => string): number {
  const start = process.cpuUsage();
  sink += run().length;
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

for (const run of Object.values(cases)) cpuMillis(run); // warm-up
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) for (const [name, run] of Object.entries(cases)) samples[name].push(cpuMillis(run));
for (const [name, list] of Object.entries(samples)) {
  const sorted = [...list].sort((a, b) => a - b);
  console.log(`${name.padEnd(44)} min ${sorted[0].toFixed(1)} ms  median ${sorted[sorted.length >> 1].toFixed(1)} ms`);
}
if (sink < 0) console.log(sink);
